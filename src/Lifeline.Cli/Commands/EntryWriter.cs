using System.Globalization;
using Lifeline.Cli.Hub;
using Spectre.Console;

namespace Lifeline.Cli.Commands;

/// <summary>Writes entries to standard output: JSON lines, coloured text on a terminal, or plain text when piped.</summary>
internal sealed class EntryWriter(CliEnvironment environment, bool json)
{
    private readonly IAnsiConsole? _console = !json && environment.OutIsTerminal ? environment.CreateOutConsole() : null;

    public Task WriteAsync(StreamEntry entry)
    {
        if (json)
        {
            return environment.Out.WriteLineAsync(entry.Raw);
        }

        var time = entry.Ts.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var props = entry.Props is { ValueKind: System.Text.Json.JsonValueKind.Object } p ? " " + p.GetRawText() : string.Empty;
        if (_console is null)
        {
            return environment.Out.WriteLineAsync($"#{entry.Id} {time} {Levels.Tag(entry.Level)} [{entry.Source}] {entry.Message}{props}");
        }

        _console.MarkupLine($"[grey]#{entry.Id} {time}[/] [{Levels.Colour(entry.Level)}]{Levels.Tag(entry.Level)}[/] [blue][[{Markup.Escape(entry.Source)}]][/] {Markup.Escape(entry.Message)}[grey]{Markup.Escape(props)}[/]");
        return Task.CompletedTask;
    }

    public Task FlushAsync() => environment.Out.FlushAsync();
}
