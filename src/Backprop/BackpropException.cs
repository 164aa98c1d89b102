namespace Backprop;

/// <summary>
/// Bad input from a user: a model or data file, a field, a shape, a label. The message names the place at fault
/// (file, field path, layer) in one line; the CLI prints it and exits with code 2.
/// </summary>
public class BackpropException(string message) : Exception(message)
{
}
