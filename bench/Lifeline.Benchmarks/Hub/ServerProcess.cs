using System.Collections.Concurrent;
using System.Diagnostics;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// A server under load in a child process of this benchmark (<c>hub-server</c>, <c>signalr-server</c>), pinned to one
/// core with <c>taskset</c> (which execs, so the child's pid is the server's). The child prints <c>LISTENING &lt;url&gt;</c>,
/// answers <c>mem</c> on its standard input with a <see cref="ProcessMemory"/> line, and stops when its standard input
/// closes, so it also ends when this process dies. <see cref="DisposeAsync"/> closes its input, waits, and kills it if it
/// has not ended; children still running when this process exits or gets Ctrl+C are killed too.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, Process> s_running = new();
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);
    private readonly Process _process;

    static ServerProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private ServerProcess(Process process, Uri baseUri, int core)
    {
        _process = process;
        BaseUri = baseUri;
        Core = core;
    }

    /// <summary>The server's base URL.</summary>
    public Uri BaseUri { get; }

    /// <summary>The core the server is pinned to.</summary>
    public int Core { get; }

    /// <summary>The server's process id.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Starts <c>&lt;this benchmark&gt; <paramref name="arguments"/></c> (or the benchmark build at
    /// <paramref name="assembly"/>: another commit's hub, for a before/after in one run) on <paramref name="core"/> and
    /// waits for its <c>LISTENING</c> line.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(int core, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? assembly = null)
    {
        var info = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", core.ToString(System.Globalization.CultureInfo.InvariantCulture), "dotnet", assembly ?? typeof(ServerProcess).Assembly.Location }.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        s_running[process.Id] = process;
        var server = new ServerProcess(process, new Uri("http://127.0.0.1/"), core);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            if (line is null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{string.Join(' ', arguments)} did not start: {line}");
            }

            return new ServerProcess(process, new Uri(line["LISTENING ".Length..]), core);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's user+system CPU time so far (<c>/proc/PID/stat</c>).</summary>
    public TimeSpan ReadCpu() => CpuSample.ReadProcessCpu(_process.Id);

    /// <summary>Asks the server for its memory (managed heap after a full collection, resident set, free pool blocks).</summary>
    public async Task<ProcessMemory> MeasureMemoryAsync(CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync("mem".AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        while (true)
        {
            var line = await _process.StandardOutput.ReadLineAsync(cancellationToken) ?? throw new InvalidOperationException("the server ended");
            if (ProcessMemory.TryParse(line, out var memory))
            {
                return memory;
            }
        }
    }

    /// <summary>Points <paramref name="options"/> at this server: its URL, its memory, its CPU and its core.</summary>
    public HubLoadOptions Target(HubLoadOptions options)
    {
        options.Target = BaseUri;
        options.MeasureTargetMemory = MeasureMemoryAsync;
        options.ReadTargetCpu = ReadCpu;
        options.TargetCore = Core;
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(StopTimeout);
        }
        catch (Exception e) when (e is TimeoutException or IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"server {_process.Id} did not stop in {StopTimeout.TotalSeconds:N0} s: killed ({e.GetType().Name})");
        }
        finally
        {
            Kill(_process);
            s_running.TryRemove(_process.Id, out _);
            _process.Dispose();
        }
    }

    private static void KillAll()
    {
        foreach (var process in s_running.Values)
        {
            Kill(process);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
