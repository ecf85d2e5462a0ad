using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// docs/cluster.md, "Try it": <c>lifeline cluster-demo</c> starts 3 nats-server + 3 nodes sharing one log, and Ctrl+C
/// stops all of it, leaving no process and no folder behind.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed partial class ClusterDemoTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task ClusterDemo_StartsThreeServersAndThreeNodesSharingOneLog_CtrlCStopsEverything()
    {
        await using var demo = await Demo.StartAsync(rate: 50);
        var (process, output, pids, folder, text) = (demo.Process, demo.Output, demo.Pids, demo.Folder, demo.Text);
        Assert.True(Directory.Exists(folder), folder);
        var nodes = NodeLine().Matches(text).Select(m => new Uri(m.Groups["url"].Value)).ToList();
        Assert.Equal(3, nodes.Count);
        var key = KeyLine().Match(text).Groups["key"].Value;

        // Every node becomes healthy, and the generator's entries (published to node1) are read on node3.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        foreach (var node in nodes)
        {
            await WaitUntilAsync(async () => (await http.GetAsync(new Uri(node, "/healthz"))).StatusCode == HttpStatusCode.OK, $"{node} healthy");
        }

        await WaitUntilAsync(async () => (await http.GetStringAsync(new Uri(nodes[2], "/v1/logs?limit=1"))).Contains("\"id\":1,", StringComparison.Ordinal), "node3 reads the generated entries");

        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().OrTimeout(Timeout);
        }

        output.AddRange((await process.StandardOutput.ReadToEndAsync().OrTimeout(Timeout)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        await process.WaitForExitAsync().OrTimeout(Timeout);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{string.Join('\n', output)}\n{await demo.Error}");
        Assert.Equal("stopped", output[^1]);
        foreach (var pid in pids)
        {
            Assert.False(Directory.Exists($"/proc/{pid}"), $"nats-server {pid} still runs");
        }

        Assert.False(Directory.Exists(folder), $"{folder} left behind");
    }

    /// <summary>
    /// Regression: the nats-server processes outlived a cluster-demo killed with SIGKILL (no Ctrl+C handler, no dispose
    /// runs then), each left serving its ports and store. They are now started bound to the demo's life (setpriv
    /// --pdeathsig KILL), so the kernel kills them with it. Their temp folder is what stays.
    /// </summary>
    [Fact]
    public async Task ClusterDemo_KilledWithSigkill_LeavesNoNatsServerRunning()
    {
        await using var demo = await Demo.StartAsync(rate: 0);
        var servers = demo.Pids.Select(pid => (Pid: pid, Started: StartTime(pid))).ToList();
        Assert.All(servers, s => Assert.NotNull(s.Started));
        try
        {
            demo.Process.Kill(); // SIGKILL
            await demo.Process.WaitForExitAsync().OrTimeout(Timeout);

            // No event crosses to here from the kernel's kill of another process's child: poll /proc, with a deadline.
            var running = servers;
            var started = Stopwatch.StartNew();
            while ((running = [.. running.Where(s => StartTime(s.Pid) == s.Started)]).Count > 0 && started.Elapsed < Timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
            }

            Assert.True(running.Count == 0, $"nats-server pids {string.Join(", ", running.Select(s => s.Pid))} outlived the killed cluster-demo");
        }
        finally
        {
            // What the assertion found running is stopped here: this test started it.
            foreach (var (pid, start) in servers.Where(s => StartTime(s.Pid) == s.Started))
            {
                using var survivor = Process.GetProcessById(pid);
                survivor.Kill();
            }

            await demo.StopAsync();
            Directory.Delete(demo.Folder, recursive: true);
        }
    }

    /// <summary>
    /// A live process's start time (field 22 of <c>/proc/PID/stat</c>), or null when the pid is gone or a zombie (dead,
    /// not yet reaped by its new parent): with the pid, it names one process, never a later one given the same pid.
    /// </summary>
    private static long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields[0] == "Z" ? null : long.Parse(fields[19], CultureInfo.InvariantCulture);
    }

    /// <summary>Polls a condition on a child process (no event crosses the process boundary) until it holds.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await condition().OrTimeout(Timeout))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (started.Elapsed > Timeout)
            {
                throw new TimeoutException($"not within {Timeout.TotalSeconds:0} s: {what}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }
    }

    /// <summary>A <c>lifeline cluster-demo</c> child process, read up to its "Press Ctrl+C" line; stop kills what still runs.</summary>
    private sealed class Demo : IAsyncDisposable
    {
        private Demo(Process process, Task<string> error)
        {
            Process = process;
            Error = error;
        }

        public Process Process { get; }

        public Task<string> Error { get; }

        public List<string> Output { get; } = [];

        public string Text => string.Join('\n', Output);

        public List<int> Pids { get; private set; } = [];

        public string Folder { get; private set; } = string.Empty;

        public static async Task<Demo> StartAsync(int rate)
        {
            var server = NatsServerCluster.FindServer();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lifeline.dll"));
            foreach (var arg in new[] { "cluster-demo", "--port", "0", "--rate", rate.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment[NatsServerCluster.ServerVariable] = server;
            var process = Process.Start(start)!;
            var demo = new Demo(process, process.StandardError.ReadToEndAsync());
            try
            {
                while (await process.StandardOutput.ReadLineAsync().OrTimeout(Timeout) is { } line)
                {
                    demo.Output.Add(line);
                    if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal))
                    {
                        break;
                    }
                }

                var engine = EngineLine().Match(demo.Text);
                Assert.True(engine.Success, demo.Text + (process.HasExited ? await demo.Error : string.Empty));
                demo.Pids = [.. engine.Groups["pids"].Value.Split(", ").Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
                demo.Folder = engine.Groups["folder"].Value;
                Assert.Equal(3, demo.Pids.Count);
                return demo;
            }
            catch
            {
                await demo.StopAsync();
                throw;
            }
        }

        /// <summary>Kills the demo (and, as a last resort, its tree) if it still runs, and waits for it and its error reader.</summary>
        public async Task StopAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync().OrTimeout(Timeout);
            }

            await Error.OrTimeout(Timeout);
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            Process.Dispose();
        }
    }

    [GeneratedRegex(@"nats-server pids (?<pids>[0-9, ]+); data in (?<folder>[^)]+)\)")]
    private static partial Regex EngineLine();

    [GeneratedRegex(@"node\d:\s+(?<url>http://\S+?)\?access_token=")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"key:\s+(?<key>\S+)")]
    private static partial Regex KeyLine();
}
