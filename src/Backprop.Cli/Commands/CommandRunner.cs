namespace Backprop.Cli.Commands;

/// <summary>Turns library errors into one clear line and an exit code: never a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (BackpropException e)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"internal error ({e.GetType().Name}): {e.Message}. Please report it with the command that caused it.");
            return ExitCodes.InternalError;
        }
    }
}
