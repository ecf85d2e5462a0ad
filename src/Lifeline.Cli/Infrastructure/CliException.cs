namespace Lifeline.Cli;

/// <summary>A failure the user can act on: printed as one line (never a stack trace) with its exit code.</summary>
internal class CliException : Exception
{
    public CliException(string message, int exitCode = ExitCodes.Failure, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    public CliException()
        : this("command failed")
    {
    }

    public CliException(string message)
        : this(message, ExitCodes.Failure)
    {
    }

    public CliException(string message, Exception inner)
        : this(message, ExitCodes.Failure, inner)
    {
    }

    public int ExitCode { get; }
}
