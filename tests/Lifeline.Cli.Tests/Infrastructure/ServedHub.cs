using System.Text.Json;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests;

/// <summary>
/// A real hub for tests, run by the CLI's own <c>lifeline serve</c> in-process on 127.0.0.1 (port 0 unless the test
/// names one). Dispose cancels the command as Ctrl+C would and checks that it stopped gracefully with exit 0.
/// </summary>
internal sealed class ServedHub : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<CliResult>? _run;
    private int _disposed;

    private ServedHub(CliRunner runner)
    {
        Runner = runner;
    }

    public CliRunner Runner { get; }

    public string Url { get; private set; } = string.Empty;

    public int Port => new Uri(Url).Port;

    /// <summary>Starts <c>lifeline serve</c> with <paramref name="args"/>; adds <c>--urls http://127.0.0.1:0</c> and <c>--no-auth</c> unless given.</summary>
    public static Task<ServedHub> StartAsync(params string[] args) => StartWithAsync(_ => { }, args);

    /// <summary>As <see cref="StartAsync"/>, after <paramref name="configure"/> sets up the runner (environment variables).</summary>
    public static async Task<ServedHub> StartWithAsync(Action<CliRunner> configure, params string[] args)
    {
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hub = new ServedHub(new CliRunner { Listening = url => listening.TrySetResult(url) });
        configure(hub.Runner);
        var all = new List<string> { "serve" };
        all.AddRange(args);
        if (!args.Contains("--urls"))
        {
            all.AddRange(["--urls", "http://127.0.0.1:0"]);
        }

        if (!args.Contains("--keys") && !args.Contains("--no-auth") && !args.Contains("--config") && !hub.Runner.Variables.ContainsKey("LIFELINE_NOAUTH"))
        {
            all.Add("--no-auth");
        }

        hub._run = hub.Runner.RunAsync(hub._stop.Token, [.. all]);
        var first = await Task.WhenAny(listening.Task, hub._run).OrTimeout(TimeSpan.FromSeconds(30));
        if (first != listening.Task)
        {
            throw new InvalidOperationException($"serve did not start: {await hub._run}");
        }

        hub.Url = (await listening.Task).TrimEnd('/');
        return hub;
    }

    /// <summary>Stops the hub (graceful, exit 0 asserted) and returns what it printed.</summary>
    public async Task<CliResult> StopAsync()
    {
        await _stop.CancelAsync();
        var result = await _run!.OrTimeout(TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        // Idempotent: tests that stop a hub mid-test dispose it early, and `await using` disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_run is not null)
        {
            // Also when the command already ended (a crash): StopAsync observes its result and asserts the exit code.
            await StopAsync();
        }

        _stop.Dispose();
    }

    /// <summary>Publishes lines with <c>lifeline send</c> and returns its result (exit 0 asserted).</summary>
    public async Task<CliResult> SendAsync(string input, params string[] args)
    {
        var result = await new CliRunner { Input = input }.RunAsync(["send", "--url", Url, .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    /// <summary>Every entry in the hub, with <c>lifeline tail --since 0 --json</c>.</summary>
    public async Task<List<JsonElement>> AllEntriesAsync(params string[] args)
    {
        string[] since = args.Contains("--since") ? [] : ["--since", "0"];
        var result = await new CliRunner().RunAsync(["tail", "--url", Url, .. since, "--json", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonLines(result.Out)];
    }

    public static IEnumerable<JsonElement> JsonLines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone());

    /// <summary>Six entries of several levels and sources, for filters: ids 1 to 6 on an empty hub.</summary>
    public const string Mixed = """
        {"level":"information","source":"api","message":"GET / answered 200"}
        {"level":"warning","source":"api","message":"slow query on orders","props":{"ms":812}}
        {"level":"error","source":"db","message":"SLOW disk"}
        {"level":"warning","source":"auth","message":"slow login"}
        {"level":"debug","source":"db","message":"slow but debug"}
        {"level":"critical","source":"api","message":"out of memory"}
        """;

    /// <summary>NDJSON of entries numbered <paramref name="from"/>..<paramref name="to"/> (message "entry N").</summary>
    public static string Numbered(int from, int to, string level = "information", string source = "test") =>
        string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"{{\"level\":\"{level}\",\"source\":\"{source}\",\"message\":\"entry {i}\"}}\n"));
}

/// <summary>A keys file with one key per scope: <c>read-key</c>, <c>write-key</c>, <c>admin-key</c>.</summary>
internal sealed class KeysFile : IDisposable
{
    public KeysFile()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"lifeline-keys-{Guid.NewGuid():N}.json");
        File.WriteAllText(Path, """
            {"keys":[
              {"id":"reader","key":"read-key","scopes":["read"]},
              {"id":"writer","key":"write-key","scopes":["write"]},
              {"id":"admin","key":"admin-key","scopes":["admin"]}
            ]}
            """);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
