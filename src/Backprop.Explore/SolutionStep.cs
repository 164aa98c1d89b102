namespace Backprop.Explore;

/// <summary>
/// One step of the page's stepper: the problem, a layer of the forward pass, the loss, a layer of the backward pass,
/// the update, the loss after it. <see cref="Text"/> is that part of <c>trace</c>'s text, line for line, and
/// <see cref="Latex"/> the display maths of that part of <c>trace --format markdown</c>. <see cref="Layer"/> is the
/// layer's index, or null.
/// </summary>
public sealed record SolutionStep(string Id, string Title, int? Layer, IReadOnlyList<string> Text, IReadOnlyList<string> Latex);
