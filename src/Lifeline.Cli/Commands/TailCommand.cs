using System.CommandLine;
using System.Globalization;
using Lifeline.Cli.Hub;
using Lifeline.Hub.Client;
using Lifeline.Protocol;

namespace Lifeline.Cli.Commands;

/// <summary><c>lifeline tail</c>: entries matching a filter, from a position, optionally followed live across reconnects.</summary>
internal static class TailCommand
{
    public static Command Create(CommandContext context)
    {
        var level = new Option<string?>("--level", "-l") { Description = $"Minimum level: {string.Join(", ", Levels.Names)}", HelpName = "level" };
        level.Validators.Add(Levels.Validate);
        var levels = new Option<string?>("--levels") { Description = "Only these levels, comma-separated (warning,critical); with --level both must hold", HelpName = "list" };
        levels.Validators.Add(ValidateLevelList);
        var source = new Option<string[]>("--source", "-s") { Description = "Only these sources (repeat for several)", HelpName = "name", AllowMultipleArgumentsPerToken = false };
        var contains = new Option<string?>("--contains", "-c") { Description = "Only messages containing this text (case-insensitive)", HelpName = "text" };
        var where = new Option<string[]>("--where", "-w") { Description = "Only entries whose props satisfy this predicate, evaluated by the hub, such as 'ms > 1000' or 'user = \"x\"' (repeat: all must hold)", HelpName = "predicate", AllowMultipleArgumentsPerToken = false };
        where.Validators.Add(ValidatePredicates);
        var since = new Option<string?>("--since") { Description = "Start after this entry id, or at a time: an RFC 3339 timestamp or an age such as 30s, 10m, 2h, 1d", HelpName = "id|time" };
        var lines = new Option<int>("--lines", "-n") { Description = "Without --since: start this many ids back", DefaultValueFactory = _ => 10, HelpName = "count" }.InRange(0, 1_000_000);
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep streaming new entries until Ctrl+C; reconnect and resume if the connection drops" };
        var json = new Option<bool>("--json") { Description = "One JSON entry per line (the protocol's entry object)" };

        var command = new Command("tail", "Print log entries from the hub. Connection state goes to standard error.")
        {
            level, levels, source, contains, where, since, lines, follow, json,
        }.WithExamples("lifeline tail --level warning --source api --follow", "lifeline tail --since 10m --contains timeout --json | jq .message", "lifeline tail --since 1042 -f", "lifeline tail --where 'ms > 1000' --where 'status = 500' -f");
        command.SetAction(async (result, cancellationToken) =>
        {
            var endpoint = context.ResolveEndpoint(result);
            var (afterId, fromTime) = ParseSince(result.GetValue(since), context.Environment.Time);
            LogEntryLevel? minimum = LogLevelNames.TryParse(result.GetValue(level), out var parsed) ? parsed : null; // validated by the option
            var options = new TailOptions
            {
                Filter = new LogFilter { MinLevel = minimum, Levels = ParseLevelList(result.GetValue(levels)), Sources = result.GetValue(source) ?? [], Contains = result.GetValue(contains), Where = [.. (result.GetValue(where) ?? []).Select(PropertyPredicate.Parse)] },
                After = fromTime is null ? afterId : 0,
                Backlog = result.GetValue(lines),
                Follow = result.GetValue(follow),
                Time = context.Environment.Time,
            };
            var writer = new EntryWriter(context.Environment, result.GetValue(json));
            return await RunAsync(new LogTail(endpoint, options, context.Environment.Error), writer, fromTime, cancellationToken).ConfigureAwait(false);
        });
        return context.Global.AddTo(command);
    }

    private static async Task<int> RunAsync(LogTail tail, EntryWriter writer, DateTimeOffset? fromTime, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var entry in tail.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (fromTime is null || entry.Ts >= fromTime)
                {
                    await writer.WriteAsync(entry).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C ends a follow: a normal exit.
        }
        catch (HubConnectionException exception)
        {
            await writer.FlushAsync().ConfigureAwait(false);
            throw tail.Explain(exception);
        }

        await writer.FlushAsync().ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static LogEntryLevel[] ParseLevelList(string? list) =>
        [.. (list ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(name => LogLevelNames.TryParse(name, out var l) ? l : throw new CliException($"'{name}' is not a level", ExitCodes.Usage))
            .Distinct()];

    private static void ValidateLevelList(System.CommandLine.Parsing.OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            foreach (var name in token.Value.Split(',', StringSplitOptions.TrimEntries))
            {
                if (Levels.Canonical(name) is null)
                {
                    result.AddError($"'{name}' is not a level for {result.Option.Name}: use a comma-separated list of {string.Join(", ", Levels.Names)}");
                }
            }
        }
    }

    private static void ValidatePredicates(System.CommandLine.Parsing.OptionResult result)
    {
        foreach (var token in result.Tokens)
        {
            if (!PropertyPredicate.TryParse(token.Value, out _, out var error))
            {
                result.AddError($"invalid {result.Option.Name}: {error}");
            }
        }
    }

    /// <summary>An integer is an id (entries after it); anything else is a time, absolute or an age.</summary>
    internal static (long? AfterId, DateTimeOffset? FromTime) ParseSince(string? value, TimeProvider time)
    {
        if (value is null)
        {
            return (null, null);
        }

        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return (id, null);
        }

        if (value.Length >= 2 && double.TryParse(value[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            TimeSpan? age = value[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } span)
            {
                return (null, time.GetUtcNow() - span);
            }
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return (null, at);
        }

        throw new CliException($"invalid --since '{value}': expected an entry id (1042), an age (30s, 10m, 2h, 1d) or a time (2026-12-01T21:50:00Z)", ExitCodes.Usage);
    }
}
