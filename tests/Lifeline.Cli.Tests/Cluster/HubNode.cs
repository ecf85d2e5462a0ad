using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Lifeline.LocalNats;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// One cluster node: the built <c>lifeline serve --cluster ...</c> as a child process on 127.0.0.1. Its port is learnt
/// from the "listening on" line; both output streams are read to their end the whole time (a full pipe would stall
/// the node) and the last lines kept for failure messages. It is stopped by pid: SIGTERM (the graceful drain, 1001
/// to its subscribers) or SIGKILL (a crash), and can be started again with the same name, port and arguments.
/// Dispose kills a node still running and waits for it, so no child outlives the test. Not thread-safe.
/// </summary>
internal sealed class HubNode : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int KeptLines = 60;

    private readonly List<string> _args;
    private readonly RecentLines _recent = new(KeptLines);
    private Process? _process;
    private Task _readers = Task.CompletedTask;

    private HubNode(string name, List<string> args, string key)
    {
        Name = name;
        _args = args;
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>The node's name (<c>--node-name</c>), as <c>/v1/stats</c> reports it.</summary>
    public string Name { get; }

    /// <summary>The port it listens on; kept across restarts.</summary>
    public int Port { get; private set; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri => new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/"));

    /// <summary>An HTTP client sending the key the node was started for (absolute URIs: the port may change).</summary>
    public HttpClient Http { get; }

    public bool IsRunning => _process is { HasExited: false };

    public int Pid => _process?.Id ?? 0;

    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery.TrimStart('/'));

    public Uri WsUrl(string pathAndQuery) => new(string.Create(CultureInfo.InvariantCulture, $"ws://127.0.0.1:{Port}/{pathAndQuery.TrimStart('/')}"));

    /// <summary>
    /// Starts <c>lifeline serve --cluster {engine} --node-name {name} --keys {keysFile}</c> plus <paramref name="extra"/>
    /// and returns once it listens. <paramref name="key"/> is what <see cref="Http"/> sends.
    /// </summary>
    public static async Task<HubNode> StartAsync(string name, IReadOnlyList<string> engine, string keysFile, string key, params string[] extra)
    {
        var args = new List<string> { "serve", "--cluster", string.Join(',', engine), "--node-name", name, "--keys", keysFile };
        args.AddRange(extra);
        var node = new HubNode(name, args, key);
        try
        {
            await node.LaunchAsync().ConfigureAwait(false);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return node;
    }

    /// <summary>Starts the node again (after <see cref="KillAsync"/> or <see cref="TerminateAsync"/>) on the same port.</summary>
    public Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is running");
        }

        return LaunchAsync();
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash; waits for the exit.</summary>
    public async Task KillAsync()
    {
        await KillAndWaitAsync().ConfigureAwait(false);
    }

    /// <summary>SIGTERM: the graceful stop (the node drains, subscribers get 1001); waits for exit 0.</summary>
    public async Task TerminateAsync()
    {
        var process = _process ?? throw new InvalidOperationException($"{Name} is not running");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().OrTimeout(Timeout).ConfigureAwait(false);
        }

        await process.WaitForExitAsync().OrTimeout(Timeout).ConfigureAwait(false);
        await _readers.OrTimeout(Timeout).ConfigureAwait(false);
        Assert.True(process.ExitCode == 0, $"{Name} exited {process.ExitCode} on SIGTERM; its log:\n{RecentLog()}");
        process.Dispose();
        _process = null;
    }

    /// <summary>The last lines the node printed (both streams), for a failure message.</summary>
    public string RecentLog() => _recent.ToString();

    public async ValueTask DisposeAsync()
    {
        await KillAndWaitAsync().ConfigureAwait(false);
        Http.Dispose();
    }

    private async Task LaunchAsync()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lifeline.dll"));
        foreach (var arg in _args)
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}"));
        info.Environment.Remove("LIFELINE_KEYS");
        info.Environment["LIFELINE_DEBUG"] = "1";
        // Bound to the test host's life: a node never outlives a test host that dies (see ParentBoundProcess).
        var process = ParentBoundProcess.Start(info);
        _process = process;
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _readers = Task.WhenAll(ReadAsync(process.StandardOutput, listening), ReadAsync(process.StandardError, null))
            .ContinueWith(_ => listening.TrySetException(new InvalidOperationException($"{Name} exited before it listened; its log:\n{RecentLog()}")), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            Port = await listening.Task.WaitAsync(Timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not listen within {Timeout.TotalSeconds:0} s; its log:\n{RecentLog()}");
        }
    }

    private async Task ReadAsync(StreamReader reader, TaskCompletionSource<int>? listening)
    {
        const string Marker = "lifeline hub listening on ";
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            _recent.Add(line);

            if (listening is not null && line.StartsWith(Marker, StringComparison.Ordinal))
            {
                var url = line[Marker.Length..].Split([' ', ','], 2)[0];
                listening.TrySetResult(new Uri(url).Port);
            }
        }
    }

    private async Task KillAndWaitAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await process.WaitForExitAsync().OrTimeout(Timeout).ConfigureAwait(false);
        await _readers.OrTimeout(Timeout).ConfigureAwait(false);
        process.Dispose();
        _process = null;
    }
}
