using Spectre.Console;

namespace Lifeline.Cli;

/// <summary>
/// Everything a command touches outside itself: the three standard streams, whether each is a terminal,
/// environment variables and the clock. Tests build one over in-memory writers and run commands in-process.
/// </summary>
internal sealed class CliEnvironment
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Whether standard output is a terminal: colour, tables and live displays; otherwise plain text.</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>Whether standard error is a terminal (progress displays go there).</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>The environment variables the commands see (LIFELINE_URL, LIFELINE_KEY, LIFELINE_* configuration for <c>serve</c>).</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = new Dictionary<string, string>();

    /// <summary>One environment variable, or null.</summary>
    public string? GetVariable(string name) => Variables.GetValueOrDefault(name);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Whether Ctrl+C and SIGTERM cancel the running command (the real process only).</summary>
    public bool HandleSignals { get; init; }

    /// <summary>Raised by long-running commands (demo, serve) once they listen, with the address; tests wait on it.</summary>
    public Action<string>? Listening { get; init; }

    public static CliEnvironment FromProcess() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        In = Console.In,
        OutIsTerminal = !Console.IsOutputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
        Variables = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? string.Empty, StringComparer.Ordinal),
        HandleSignals = true,
    };

    /// <summary>A Spectre console over standard output: ANSI and colour only on a terminal.</summary>
    public IAnsiConsole CreateOutConsole() => CreateConsole(Out, OutIsTerminal);

    /// <summary>A Spectre console over standard error, for progress and status.</summary>
    public IAnsiConsole CreateErrorConsole() => CreateConsole(Error, ErrorIsTerminal);

    private static IAnsiConsole CreateConsole(TextWriter writer, bool terminal) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(writer),
        Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
        ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
    });
}
