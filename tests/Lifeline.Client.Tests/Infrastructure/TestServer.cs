using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeline.Client.Tests.Infrastructure;

/// <summary>
/// A real Kestrel WebSocket server on 127.0.0.1:0 for client tests. Every WebSocket request to any path is accepted
/// (or rejected with <see cref="RejectStatus"/>); each accepted connection becomes a <see cref="ServerConnection"/>
/// the test can take with <see cref="NextConnectionAsync"/> and drive: send, push many, close with a code, abort.
/// By default it echoes every text message. Disposing aborts every connection and stops Kestrel.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ServerConnection> _accepted = Channel.CreateUnbounded<ServerConnection>();
    private readonly ConcurrentDictionary<int, ServerConnection> _open = new();
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private int _total;
    private int _handshakes;

    private TestServer(WebApplication app) => _app = app;

    public IPEndPoint EndPoint { get; private set; } = null!;

    /// <summary>When non-zero, handshakes are answered with this HTTP status instead of being accepted.</summary>
    public int RejectStatus { get; set; }

    /// <summary>Whether connections echo text messages back (default true).</summary>
    public bool Echo { get; set; } = true;

    /// <summary>Whether accepted connections are queued for <see cref="NextConnectionAsync"/> (default true; churn tests turn it off so the server keeps nothing).</summary>
    public bool QueueConnections { get; set; } = true;

    /// <summary>Runs right after each accept, before the connection's read loop starts (e.g. push messages, close with a code).</summary>
    public Func<ServerConnection, Task>? OnAccepted { get; set; }

    /// <summary>Accepted WebSocket connections so far.</summary>
    public int TotalConnections => Volatile.Read(ref _total);

    /// <summary>Handshake requests so far (accepted or rejected).</summary>
    public int TotalHandshakes => Volatile.Read(ref _handshakes);

    public Uri GetUri(string pathAndQuery = "/ws") => new($"ws://127.0.0.1:{EndPoint.Port}{pathAndQuery}");

    public static async Task<TestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.WebHost.UseShutdownTimeout(TimeSpan.FromSeconds(5));
        var app = builder.Build();
        var server = new TestServer(app);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.EndPoint = new IPEndPoint(IPAddress.Loopback, new Uri(address).Port);
        return server;
    }

    /// <summary>Completes once <paramref name="count"/> connections have been accepted in all.</summary>
    public Task WaitForTotalConnectionsAsync(int count)
    {
        lock (_waiters)
        {
            if (TotalConnections >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    /// <summary>The next accepted connection (in accept order).</summary>
    public Task<ServerConnection> NextConnectionAsync(CancellationToken cancellationToken = default) => _accepted.Reader.ReadAsync(cancellationToken).AsTask();

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _open.Values)
        {
            connection.Abort();
        }

        await Task.WhenAll(_open.Values.Select(c => c.Completion));
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _handshakes);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (RejectStatus != 0)
        {
            context.Response.StatusCode = RejectStatus;
            return;
        }

        var subProtocol = context.WebSockets.WebSocketRequestedProtocols.FirstOrDefault();
        using var socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        int number;
        lock (_waiters)
        {
            number = Interlocked.Increment(ref _total);
            foreach (var waiter in _waiters.Where(w => w.Count <= number).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Reached.TrySetResult();
            }
        }

        var connection = new ServerConnection(this, socket, context, number);
        _open[number] = connection;
        try
        {
            if (QueueConnections)
            {
                _accepted.Writer.TryWrite(connection);
            }

            if (OnAccepted is { } onAccepted)
            {
                await onAccepted(connection);
            }

            await connection.RunAsync();
        }
        finally
        {
            _open.TryRemove(number, out _);
            connection.Ended();
        }
    }
}
