using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeline.Benchmarks.Client;

/// <summary>
/// A Kestrel WebSocket server on 127.0.0.1:0 for the client benchmarks: <c>/idle</c> reads until the client closes,
/// <c>/push?count=N&amp;size=S</c> sends N text messages of S bytes as fast as it can and then reads until close,
/// <c>/reject</c> answers 503.
/// </summary>
internal sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BenchServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public Uri GetUri(string pathAndQuery) => new($"ws://127.0.0.1:{Port}{pathAndQuery}");

    public static async Task<BenchServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Map("/reject", context => { context.Response.StatusCode = 503; return Task.CompletedTask; });
        app.Map("/idle", context => ServeAsync(context, 0, 0));
        app.Map("/push", context => ServeAsync(context, int.Parse(context.Request.Query["count"]!, System.Globalization.CultureInfo.InvariantCulture), int.Parse(context.Request.Query["size"]!, System.Globalization.CultureInfo.InvariantCulture)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new BenchServer(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task ServeAsync(HttpContext context, int count, int size)
    {
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        var buffer = new byte[4096];
        try
        {
            for (var i = 0; i < count; i++)
            {
                await socket.SendAsync(payload, WebSocketMessageType.Text, true, context.RequestAborted);
            }

            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }
}
