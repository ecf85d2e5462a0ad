using System.Net;
using Lifeline.Benchmarks.Hub.Load;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeline.Benchmarks.Baselines;

/// <summary>
/// <c>signalr-server</c>: the baseline of <c>hub-compare</c>, ASP.NET Core's in-box SignalR with default options
/// (<c>AddSignalR()</c>, JSON protocol, <see cref="BroadcastHub"/> on <c>/hub</c>), hosted as <c>hub-server</c> hosts the
/// hub (slim builder, no logging, 127.0.0.1:free port). Prints <c>LISTENING &lt;url&gt;</c>, answers <c>mem</c> lines with
/// its memory, and stops when its standard input closes.
/// </summary>
public sealed class SignalRServerCommand : IBenchCommand
{
    /// <summary>The hub's path.</summary>
    public const string HubPath = "/hub";

    /// <inheritdoc />
    public string Name => "signalr-server";

    /// <inheritdoc />
    public string Description => "Hosts the in-box SignalR baseline for hub-compare in a separate process (stops when stdin closes)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        KestrelPoolGauge.Start();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSignalR();
        await using var app = builder.Build();
        app.MapHub<BroadcastHub>(HubPath);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        Console.WriteLine("LISTENING " + address.TrimEnd('/') + "/");
        Console.Out.Flush();
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "mem")
            {
                var memory = await HubLoadRunner.MeasureThisProcessAsync(CancellationToken.None);
                Console.WriteLine(memory.ToLine());
                Console.Out.Flush();
            }
        }

        await app.StopAsync();
        return 0;
    }
}
