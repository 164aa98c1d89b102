using Backprop.Losses;
using Backprop.Tests.Support;
using CsCheck;

namespace Backprop.Tests.Losses;

/// <summary>Properties every loss must have, checked on random predictions and targets of the right kind (see <see cref="LossGens"/>).</summary>
public class LossPropertiesTests
{
    private const int Iterations = 100;

    public static TheoryData<string> LossNames => new(LossFunctions.Names);

    [Fact]
    public void Every_loss_has_a_generator()
    {
        Assert.Equal(LossFunctions.Names.Order(), LossGens.ByName.Keys.Order());
        foreach (var (name, gen) in LossGens.ByName)
        {
            var c = gen.Single();
            Assert.Equal(name, c.Create<double>().Name);
            // The generated targets are ones the loss itself accepts.
            c.Create<double>().CheckTarget([c.Features], c.Target<double>(), c.Batch, "generated case");
        }
    }

    [Theory, MemberData(nameof(LossNames))]
    public void Backward_matches_central_differences_of_Forward(string name) =>
        LossGens.ByName[name].Sample(Numeric.AssertLossGradient, iter: Iterations);

    [Theory, MemberData(nameof(LossNames))]
    public void Float32_agrees_with_float64(string name) =>
        LossGens.ByName[name].Sample(Numeric.AssertLossSingleAgrees, iter: Iterations);

    [Theory, MemberData(nameof(LossNames))]
    public void Backward_before_Forward_throws(string name) =>
        Assert.Throws<InvalidOperationException>(() => LossFunctions.Create<double>(name).Backward());

    [Fact]
    public void Unknown_name_is_rejected() =>
        Assert.Throws<BackpropException>(() => LossFunctions.Create<double>("l1"));
}
