namespace Lifeline.Cli;

/// <summary>The process exit codes of every command (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command failed (bad input, the hub answered with an error).</summary>
    public const int Failure = 1;

    /// <summary>Bad usage: an unknown flag, a missing or malformed value, a bad URL.</summary>
    public const int Usage = 2;

    /// <summary>The hub could not be reached (connection refused, unknown host, timeout).</summary>
    public const int Unreachable = 3;

    /// <summary>The hub refused the key (missing, unknown, revoked, or lacking the scope).</summary>
    public const int Unauthorized = 4;
}
