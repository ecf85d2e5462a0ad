using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using Lifeline.Benchmarks.Hub.Load;
using Lifeline.LocalNats;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// One hub as users run it: the built <c>lifeline serve</c> (Release, next to this benchmark's build: see the project
/// file) as a child process on 127.0.0.1 with a free port, a memory store and no keys (loopback only). A cluster node
/// gets <c>--cluster</c>; without it, a single hub. Its output is read to the end the whole time (a full pipe would
/// stall it), the last lines kept for a failure message. Dispose stops it with SIGTERM (the graceful drain), kills it
/// if it has not ended, and waits. Not thread-safe.
/// </summary>
internal sealed class HubNodeProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly RecentLines _recent = new(KeptLines);
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readers = Task.CompletedTask;

    private HubNodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>The node's name (<c>--node-name</c>; <c>single</c> for a single hub).</summary>
    public string Name { get; }

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The <c>ws://</c> form of <see cref="BaseUri"/>.</summary>
    public Uri WsUri => new UriBuilder(BaseUri) { Scheme = "ws" }.Uri;

    /// <summary>The process id (<c>dotnet lifeline.dll</c> runs in it).</summary>
    public int Pid => _process.Id;

    /// <summary>User plus system CPU so far, from <c>/proc/PID/stat</c>.</summary>
    public TimeSpan ReadCpu() => CpuSample.ReadProcessCpu(_process.Id);

    /// <summary>The built <c>lifeline.dll</c>: <c>LIFELINE_CLI</c>, else the Release build this benchmark was built with.</summary>
    public static string CliPath()
    {
        var chosen = Environment.GetEnvironmentVariable("LIFELINE_CLI");
        if (!string.IsNullOrWhiteSpace(chosen))
        {
            return chosen;
        }

        var built = typeof(HubNodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "LifelineCli")?.Value;
        return built is not null && File.Exists(built)
            ? built
            : throw new InvalidOperationException($"lifeline.dll not found at {built}: build it (dotnet build src/Lifeline.Cli -c Release), or set LIFELINE_CLI");
    }

    /// <summary>
    /// Starts <c>lifeline serve --no-auth</c> (plus <c>--cluster</c> <paramref name="engine"/> and
    /// <c>--node-name</c> <paramref name="name"/> when <paramref name="engine"/> is not empty) and <paramref name="extra"/>,
    /// and returns once it listens and answers <c>/healthz</c> 200 (a cluster node: its mirror caught up).
    /// </summary>
    public static async Task<HubNodeProcess> StartAsync(string name, IReadOnlyList<string> engine, IEnumerable<string> extra, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var args = new List<string> { CliPath(), "serve", "--no-auth", "--urls", "http://127.0.0.1:0" };
        if (engine.Count > 0)
        {
            args.AddRange(["--cluster", string.Join(',', engine), "--node-name", name]);
        }

        args.AddRange(extra);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // Nothing from the benchmark's own environment decides the hub's settings.
        foreach (var variable in info.Environment.Keys.Where(k => k.StartsWith("LIFELINE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(variable);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start lifeline serve");
        ChildGuard.Add(process.Id, "lifeline serve " + name);
        var node = new HubNodeProcess(name, process);
        try
        {
            node._readers = Task.WhenAll(node.ReadAsync(process.StandardOutput), node.ReadAsync(process.StandardError))
                .ContinueWith(_ => node._listening.TrySetException(new InvalidOperationException($"{name} exited before it listened; its log:\n{node.RecentLog()}")), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            node.BaseUri = await node._listening.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            await node.WaitHealthyAsync(cancellationToken).ConfigureAwait(false);
            return node;
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The last lines the node printed, for a failure message.</summary>
    public string RecentLog() => _recent.ToString();

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // The graceful stop; a node that died meanwhile (a signal already stopped it) makes kill complain: not news.
                var info = new ProcessStartInfo("kill") { RedirectStandardError = true, UseShellExecute = false, ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) } };
                using (var term = Process.Start(info)!)
                {
                    await term.StandardError.ReadToEndAsync().ConfigureAwait(false);
                    await term.WaitForExitAsync().ConfigureAwait(false);
                }

                await _process.WaitForExitAsync().WaitAsync(StopTimeout).ConfigureAwait(false);
            }
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"{Name} (pid {_process.Id}) did not stop within {StopTimeout.TotalSeconds:0} s of SIGTERM: killed");
        }
        finally
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }

            await _readers.ConfigureAwait(false);
            ChildGuard.Remove(_process.Id);
            _process.Dispose();
        }
    }

    private async Task WaitHealthyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        var last = "(no answer)";
        while (deadline.Elapsed < StartTimeout)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(BaseUri, "healthz"), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            // Polling another process's endpoint: there is nothing to wait on across processes.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }

        throw new TimeoutException($"{Name} did not answer /healthz 200 within {StartTimeout.TotalSeconds:0} s (last: {last}); its log:\n{RecentLog()}");
    }

    private async Task ReadAsync(StreamReader reader)
    {
        const string Marker = "lifeline hub listening on ";
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            _recent.Add(line);

            if (line.StartsWith(Marker, StringComparison.Ordinal))
            {
                var url = line[Marker.Length..].Split([' ', ','], 2)[0];
                _listening.TrySetResult(new Uri(url.TrimEnd('/') + "/"));
            }
        }
    }
}
