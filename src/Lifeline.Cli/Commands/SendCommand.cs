using System.CommandLine;
using Lifeline.Cli.Hub;

namespace Lifeline.Cli.Commands;

/// <summary><c>lifeline send</c>: publish one message from the arguments, or every line of a file or of standard input.</summary>
internal static class SendCommand
{
    public static Command Create(CommandContext context)
    {
        var message = new Argument<string[]>("message") { Description = "The message; without it, each line of --file or standard input is one entry", Arity = ArgumentArity.ZeroOrMore };
        var file = new Option<string?>("--file") { Description = "Send each line of this file as one entry ('-' for standard input)", HelpName = "path" };
        // System.CommandLine hands an unknown option to a zero-or-more argument as a word; a misspelt flag must be
        // a usage error, not a message sent to the hub.
        message.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                if (token.Value.StartsWith("--", StringComparison.Ordinal))
                {
                    result.AddError($"Unrecognized command or argument '{token.Value}' (to send text that starts with '--', pipe it on standard input)");
                    return;
                }
            }
        });
        var level = new Option<string>("--level", "-l") { Description = "Level of plain-text entries", DefaultValueFactory = _ => "information", HelpName = "level" };
        level.Validators.Add(Levels.Validate);
        var source = new Option<string>("--source", "-s") { Description = "Source of plain-text entries", DefaultValueFactory = _ => "cli", HelpName = "name" };
        var ndjson = new Option<bool>("--ndjson") { Description = "Standard input is NDJSON: one entry object per line ({\"level\":..,\"source\":..,\"message\":..,\"props\":{..}})" };
        var batch = new Option<int>("--batch-size") { Description = "Entries per request (at most 1 MiB of JSON per request)", DefaultValueFactory = _ => 1000, HelpName = "count" }.InRange(1, 100_000);
        var retries = new Option<int>("--retries") { Description = "Attempts per batch when the hub is unreachable or busy; a retried batch is never stored twice", DefaultValueFactory = _ => 10, HelpName = "count" }.InRange(1, 1000);

        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the hub to acknowledge one batch before retrying it", DefaultValueFactory = _ => 30, HelpName = "seconds" }.InRange(0.1, 3600);

        var command = new Command("send", "Publish log entries; prints the ids the hub acknowledged. Progress goes to standard error.")
        {
            message, file, level, source, ndjson, batch, retries, timeout,
        }.WithExamples("lifeline send --level warning --source deploy \"rollout paused\"", "lifeline send --file app.log --source app", "tail -F app.log | lifeline send --source app", "lifeline send --ndjson --file entries.ndjson");
        command.Validators.Add(result =>
        {
            if (result.GetValue(file) is not null && result.GetValue(message) is { Length: > 0 })
            {
                result.AddError("give either a message or --file, not both");
            }
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            var endpoint = context.ResolveEndpoint(result);
            var words = result.GetValue(message) ?? [];
            var options = new LogSenderOptions
            {
                Level = Levels.Canonical(result.GetValue(level))!,
                Source = result.GetValue(source) ?? "cli",
                Ndjson = result.GetValue(ndjson),
                BatchSize = result.GetValue(batch),
                MaxAttempts = Math.Max(1, result.GetValue(retries)),
            };
            using var fileInput = OpenFile(result.GetValue(file));
            var input = words.Length > 0 ? await MessageAsync(words, context.Environment).ConfigureAwait(false) : fileInput ?? context.Environment.In;
            using var http = new HubHttpClient(endpoint, TimeSpan.FromSeconds(result.GetValue(timeout)));
            var sender = new LogSender(http, options, context.Environment);
            return await sender.RunAsync(input, cancellationToken).ConfigureAwait(false);
        });
        return context.Global.AddTo(command);
    }

    /// <summary>
    /// The message words as one line. A lone word that names an existing file is still sent as a message (it may be
    /// one), with a warning that --file sends the file's lines.
    /// </summary>
    private static async Task<TextReader> MessageAsync(string[] words, CliEnvironment environment)
    {
        if (words.Length == 1 && File.Exists(words[0]))
        {
            await environment.Error.WriteLineAsync($"lifeline: warning: '{words[0]}' is a file; sending its name as the message (to send its lines: lifeline send --file {words[0]})").ConfigureAwait(false);
        }

        return new StringReader(string.Join(' ', words));
    }

    /// <summary>The reader of --file PATH; null without --file or for <c>-</c> (standard input, which the command does not own).</summary>
    private static StreamReader? OpenFile(string? file)
    {
        if (file is null or "-")
        {
            return null;
        }

        try
        {
            return new StreamReader(file, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete });
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            var reason = exception is FileNotFoundException or DirectoryNotFoundException ? "no such file" : exception.Message;
            throw new CliException($"cannot read --file '{file}': {reason}", ExitCodes.Usage);
        }
    }
}
