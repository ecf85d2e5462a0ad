using System.CommandLine;
using System.CommandLine.Invocation;
using Lifeline.Cli.Commands;

namespace Lifeline.Cli;

/// <summary>
/// Builds the command tree and runs one command line. Invariants: every failure ends as one line on standard
/// error prefixed <c>lifeline: </c> and a non-zero exit code (<see cref="ExitCodes"/>); nothing prints a stack trace.
/// </summary>
internal static class CliApp
{
    /// <summary>Parses and runs <paramref name="args"/>; <paramref name="cancellationToken"/> stops long-running commands as Ctrl+C does.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var context = new CommandContext(environment, new GlobalOptions());
        var root = BuildRoot(context);
        ParseResult parse;
        try
        {
            parse = root.Parse(args);
        }
        catch (InvalidOperationException exception)
        {
            // A validator met a value it could not convert: still a usage error, still one line.
            await environment.Error.WriteLineAsync($"lifeline: {exception.Message} (see 'lifeline --help')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        if (parse.Action is ParseErrorAction)
        {
            var command = parse.CommandResult.Command;
            var help = command is RootCommand ? "lifeline --help" : $"lifeline {command.Name} --help";
            // Some parser messages span lines (a list of accepted values): always one line.
            var message = string.Join(' ', parse.Errors[0].Message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await environment.Error.WriteLineAsync($"lifeline: {message} (see '{help}')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using var signals = environment.HandleSignals ? new SignalCancellation(cancellationToken) : null;
        cancellationToken = signals?.Token ?? cancellationToken;
        var configuration = new InvocationConfiguration
        {
            Output = environment.Out,
            Error = environment.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // SignalCancellation does it, registered before anything runs
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception exception)
        {
            var (message, exitCode) = CliErrors.Describe(exception, context.LastEndpoint);
            await environment.Error.WriteLineAsync($"lifeline: {message}").ConfigureAwait(false);
            if (environment.GetVariable("LIFELINE_DEBUG") == "1")
            {
                await environment.Error.WriteLineAsync(exception.ToString()).ConfigureAwait(false);
            }

            return exitCode;
        }
    }

    internal static RootCommand BuildRoot(CommandContext context)
    {
        var root = new RootCommand("Lifeline: stream, send and watch logs through a Lifeline hub.").WithExamples("lifeline demo", "lifeline tail --url http://127.0.0.1:5180 --key $KEY --level warning --follow");
        root.Add(DemoCommand.Create(context));
        root.Add(ClusterDemoCommand.Create(context));
        root.Add(ServeCommand.Create(context));
        root.Add(TailCommand.Create(context));
        root.Add(SendCommand.Create(context));
        root.Add(StatsCommand.Create(context));
        root.Add(BenchCommand.Create(context));
        Help.Install(root);
        root.SetAction(result =>
        {
            // No command: show what there is, and fail so a script that forgot the command notices.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = context.Environment.Error });
            return ExitCodes.Usage;
        });
        return root;
    }
}
