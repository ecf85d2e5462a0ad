using System.CommandLine;
using Lifeline.Cli.Hub;

namespace Lifeline.Cli.Commands;

/// <summary><c>lifeline send</c>: publish one message from the arguments, or every line of standard input.</summary>
internal static class SendCommand
{
    public static Command Create(CommandContext context)
    {
        var message = new Argument<string[]>("message") { Description = "The message; without it, each line of standard input is one entry", Arity = ArgumentArity.ZeroOrMore };
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
            message, level, source, ndjson, batch, retries, timeout,
        }.WithExamples("lifeline send --level warning --source deploy \"rollout paused\"", "tail -F app.log | lifeline send --source app", "lifeline send --ndjson < entries.ndjson");
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
            var input = words.Length > 0 ? new StringReader(string.Join(' ', words)) : context.Environment.In;
            using var http = new HubHttpClient(endpoint, TimeSpan.FromSeconds(result.GetValue(timeout)));
            var sender = new LogSender(http, options, context.Environment);
            return await sender.RunAsync(input, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
