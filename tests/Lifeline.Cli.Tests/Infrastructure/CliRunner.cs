using Lifeline.Cli;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests;

/// <summary>The outcome of one in-process command line.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs the real command entry point in-process with captured streams and a chosen environment.</summary>
internal sealed class CliRunner
{
    public Dictionary<string, string> Variables { get; } = [];

    public string Input { get; set; } = string.Empty;

    public TextReader? InputReader { get; set; }

    public TimeProvider Time { get; set; } = TimeProvider.System;

    public SyncWriter Out { get; } = new();

    public SyncWriter Error { get; } = new();

    public Action<string>? Listening { get; set; }

    /// <summary>Whether the command believes standard output and error are a terminal.</summary>
    public bool Terminal { get; set; }

    public Task<CliResult> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public async Task<CliResult> RunAsync(CancellationToken cancellationToken, params string[] args)
    {
        var environment = new CliEnvironment
        {
            Out = Out,
            Error = Error,
            In = InputReader ?? new StringReader(Input),
            Variables = Variables,
            Time = Time,
            Listening = Listening,
            OutIsTerminal = Terminal,
            ErrorIsTerminal = Terminal,
        };
        // A one-shot command is bounded here. A run the caller can cancel (serve, tail --follow, demo) lives as long as
        // its test needs and is bounded by the caller's wait after it cancels: a fixed bound here would fault the task
        // mid-test on a slow machine while the command itself kept running, unobserved.
        var running = CliApp.RunAsync(args, environment, cancellationToken);
        var exitCode = cancellationToken.CanBeCanceled ? await running : await running.OrTimeout(TimeSpan.FromSeconds(60));
        return new CliResult(exitCode, Out.ToString(), Error.ToString());
    }

    public static Task<CliResult> RunOnceAsync(params string[] args) => new CliRunner().RunAsync(args);
}

/// <summary>A StringWriter safe to write from one thread while a test reads it from another, with a wait for text.</summary>
internal sealed class SyncWriter : StringWriter
{
    private readonly Lock _lock = new();
    private readonly List<(string Text, int Count, TaskCompletionSource Seen)> _waiters = [];

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
            Check();
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
            Check();
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
        {
            base.Write(buffer, index, count);
            Check();
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return base.ToString();
        }
    }

    /// <summary>Completes once the written text contains <paramref name="text"/> at least <paramref name="count"/> times.</summary>
    public Task WaitForAsync(string text, int count = 1)
    {
        lock (_lock)
        {
            if (Occurrences(base.ToString(), text) >= count)
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((text, count, seen));
            return seen.Task;
        }
    }

    private static int Occurrences(string all, string text) => all.Split(text).Length - 1;

    private void Check()
    {
        if (_waiters.Count == 0)
        {
            return;
        }

        var all = base.ToString();
        _waiters.RemoveAll(w =>
        {
            if (Occurrences(all, w.Text) < w.Count)
            {
                return false;
            }

            w.Seen.TrySetResult();
            return true;
        });
    }
}
