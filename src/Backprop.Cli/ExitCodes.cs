namespace Backprop.Cli;

public static class ExitCodes
{
    public const int Ok = 0, CheckFailed = 1, BadInput = 2, InternalError = 3;
}
