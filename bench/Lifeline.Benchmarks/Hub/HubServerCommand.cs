using Lifeline.Benchmarks.Hub.Load;
using Lifeline.Hub;
using Lifeline.Hub.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// <c>hub-server [memory|sqlite] [path] [--http-streams]</c>: hosts a load-tuned hub on 127.0.0.1:free port (streams at the
/// connection level, as <c>lifeline serve</c> does, unless <c>--http-streams</c>), prints
/// <c>LISTENING &lt;url&gt;</c>, answers <c>mem</c> lines with its memory, and stops when its standard input closes. hub-load runs it pinned to its own core.
/// </summary>
public sealed class HubServerCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "hub-server";

    /// <inheritdoc />
    public string Description => "Hosts a hub for hub-load in a separate process (stops when stdin closes)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        var store = args.Length > 0 && args[0] == "sqlite" ? HubStoreKind.Sqlite : HubStoreKind.Memory;
        var path = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "lifeline-load-server.db");
        KestrelPoolGauge.Start();
        await using var hub = await InProcessHub.StartAsync(store, path, leanStreams: !args.Contains("--http-streams"));
        Console.WriteLine("LISTENING " + hub.BaseUri);
        Console.Out.Flush();
        // "mem" on stdin answers "MEM <managed heap after full GC> <resident set> <free Kestrel pool bytes>"; end of input stops the hub.
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "mem")
            {
                var memory = await HubLoadRunner.MeasureThisProcessAsync(CancellationToken.None);
                Console.WriteLine(memory.ToLine());
                Console.Out.Flush();
            }
        }

        return 0;
    }
}
