using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Core;
using Lifeline.Hub.Streaming;
using Lifeline.Hub.Transport;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Hosting;

/// <summary>
/// The connection-level fast path of <c>/v1/stream</c> (docs/hub.md, "Lean streams"): a Kestrel connection middleware
/// that takes a well-formed, authorized <c>GET {prefix}/v1/stream</c> WebSocket upgrade before Kestrel's HTTP/1.1 layer
/// and runs the stream straight on the transport pipes, so no HTTP connection, context, headers or streams stay alive
/// for the life of the subscription (about 5 KB less per idle subscriber). Everything else, and every request it would
/// refuse (bad filter, no or wrong key, draining, not an upgrade, a head that does not arrive within
/// <see cref="HeadTimeout"/>), goes on to HTTP unchanged, where the endpoint answers with the documented status.
/// The bytes it looked at are not consumed, so HTTP reads the same request.
/// </summary>
internal sealed class StreamUpgradeMiddleware(IServiceProvider services, string prefix, ConnectionDelegate next)
{
    /// <summary>How long the request head may take before the connection is handed to HTTP (which has its own deadline).</summary>
    public static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private const int MaxHeadBytes = 8 * 1024;
    private static readonly byte[] WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8.ToArray();
    private readonly string _path = prefix.TrimEnd('/') + "/v1/stream";

    // "GET {path}": any other request is HTTP's as soon as its first bytes differ, without waiting for its head.
    private readonly byte[] _requestLineStart = Encoding.ASCII.GetBytes("GET " + prefix.TrimEnd('/') + "/v1/stream");
    private Parts? _parts;

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var parts = _parts ??= new Parts(services);
        var input = connection.Transport.Input;
        StreamRequest? request = null;
        using (var deadline = new CancellationTokenSource(HeadTimeout, parts.Hub.Time))
        {
            try
            {
                while (true)
                {
                    var read = await input.ReadAsync(deadline.Token).ConfigureAwait(false);
                    var buffer = read.Buffer;
                    var (done, parsed, headBytes) = Inspect(buffer, read.IsCompleted);
                    if (!done)
                    {
                        input.AdvanceTo(buffer.Start, buffer.End);
                        continue;
                    }

                    // Consume the head only when this middleware takes the connection; otherwise HTTP reads it again.
                    request = parsed is not null && Accepts(parsed, connection, parts) ? parsed : null;
                    input.AdvanceTo(request is null ? buffer.Start : buffer.GetPosition(headBytes));
                    break;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
            }
        }

        if (request is null)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        // The stream runs in this frame (one async frame less per open stream).
        var hub = parts.Hub;
#pragma warning disable CA5350 // RFC 6455 mandates SHA-1 for Sec-WebSocket-Accept; it is no security boundary.
        var accept = Convert.ToBase64String(SHA1.HashData([.. Encoding.ASCII.GetBytes(request.WebSocketKey!), .. WebSocketGuid]));
#pragma warning restore CA5350
        var protocol = HubAuth.SelectSubProtocol(request.Protocols);
        var response = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + accept
            + (protocol is null ? "" : "\r\nSec-WebSocket-Protocol: " + protocol) + "\r\n\r\n";
        var flushed = await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(response)).ConfigureAwait(false);
        if (flushed.IsCanceled || flushed.IsCompleted)
        {
            return;
        }

        var clientId = WebSocketEndpoints.ClientIdFrom(request.QueryValue("clientId"));
        hub.Metrics.Connected(clientId);
        // Keep-alive on real time, as the HTTP path's ManagedWebSocket has it (the hub's TimeProvider runs the send
        // deadline, which covers what pings cannot see).
        using var socket = new PipeWebSocket(
            connection.Transport,
            protocol,
            WebSocketEndpoints.KeepAliveIntervalFor(hub.Options.KeepAliveInterval),
            hub.Options.KeepAliveTimeout,
            TimeProvider.System);
        var subscriber = hub.CreateSubscriber(socket, request.Filter!, clientId, request.Key, parts.Logger);
        request = null;   // the parsed head is not kept for the life of the stream
        await hub.RunConnectionAsync(subscriber).ConfigureAwait(false);
        if (socket.State == WebSocketState.Aborted)
        {
            // A dead peer (ping or send deadline, shutdown deadline): close the transport at once rather than have
            // Kestrel flush what is still buffered to a peer that reads nothing.
            connection.Abort(new ConnectionAbortedException("the WebSocket was aborted"));
        }
    }

    /// <summary>Whether the buffered bytes decide the matter, the request when it is a stream upgrade, and its head's length.</summary>
    private (bool Done, StreamRequest? Request, long HeadBytes) Inspect(ReadOnlySequence<byte> buffer, bool completed)
    {
        if (buffer.IsEmpty)
        {
            return (completed, null, 0);
        }

        // The bytes so far must be a prefix of "GET {path}", and the target must end right after the path (' ' or '?').
        Span<byte> start = stackalloc byte[_requestLineStart.Length + 1];
        var known = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, known).CopyTo(start);
        var matched = Math.Min(known, _requestLineStart.Length);
        if (!start[..matched].SequenceEqual(_requestLineStart.AsSpan(0, matched))
            || (known > _requestLineStart.Length && start[^1] is not ((byte)' ' or (byte)'?')))
        {
            return (true, null, 0);
        }

        var head = buffer.Slice(0, Math.Min(buffer.Length, MaxHeadBytes));
        var text = Encoding.Latin1.GetString(head);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return (completed || buffer.Length >= MaxHeadBytes, null, 0);
        }

        return (true, StreamRequest.Parse(text[..end], _path), end + 4);
    }

    private static bool Accepts(StreamRequest request, ConnectionContext connection, Parts parts)
    {
        if (parts.Hub.IsDraining || !request.IsUpgrade || !LogFilter.TryParse(request.Query, out var filter, out _))
        {
            return false;
        }

        var local = (connection.LocalEndPoint as IPEndPoint)?.Address;
        var remote = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (!parts.Auth.TryAuthorize(request.Authorization, request.QueryValue("access_token"), request.Protocols, local, remote, HubScopes.Read, out var key))
        {
            return false;
        }

        request.Filter = filter;
        request.Key = key;
        return true;
    }

    /// <summary>The hub's services, resolved on the first connection (the host builds them after configuring Kestrel).</summary>
    private sealed class Parts(IServiceProvider services)
    {
        public LogHub Hub { get; } = services.GetRequiredService<LogHub>();

        public HubAuth Auth { get; } = services.GetRequiredService<HubAuth>();

        public ILogger Logger { get; } = services.GetRequiredService<ILoggerFactory>().CreateLogger<Subscriber>();
    }

    /// <summary>The parts of a request head this middleware needs; <see cref="IsUpgrade"/> says whether it is a stream upgrade.</summary>
    private sealed class StreamRequest
    {
        private Dictionary<string, Microsoft.Extensions.Primitives.StringValues> _query = [];

        public bool IsUpgrade { get; private set; }

        public string? Authorization { get; private set; }

        public string? WebSocketKey { get; private set; }

        public List<string> Protocols { get; } = [];

        public IEnumerable<KeyValuePair<string, string?>> Query => WebSocketEndpoints.Parameters(_query);

        public LogFilter? Filter { get; set; }

        public ApiKey? Key { get; set; }

        public string? QueryValue(string name) => _query.TryGetValue(name, out var v) ? v.ToString() : null;

        public static StreamRequest? Parse(string head, string path)
        {
            var lines = head.Split("\r\n");
            var first = lines[0].Split(' ');
            if (first.Length != 3 || first[0] != "GET" || first[2] != "HTTP/1.1")
            {
                return null;
            }

            var target = first[1];
            var q = target.IndexOf('?', StringComparison.Ordinal);
            if ((q < 0 ? target : target[..q]) != path)
            {
                return null;
            }

            var request = new StreamRequest { _query = q < 0 ? [] : QueryHelpers.ParseQuery(target[q..]) };
            bool upgrade = false, connectionUpgrade = false, version13 = false, host = false;
            foreach (var line in lines.AsSpan(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    return null;
                }

                var name = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                if (Is(name, "Host"))
                {
                    host = value.Length > 0;
                }
                else if (Is(name, "Upgrade"))
                {
                    upgrade = value.Equals("websocket", StringComparison.OrdinalIgnoreCase);
                }
                else if (Is(name, "Connection"))
                {
                    connectionUpgrade = value.Split(',').Any(t => t.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase));
                }
                else if (Is(name, "Sec-WebSocket-Version"))
                {
                    version13 = value == "13";
                }
                else if (Is(name, "Sec-WebSocket-Key"))
                {
                    request.WebSocketKey = value;
                }
                else if (Is(name, "Sec-WebSocket-Protocol"))
                {
                    request.Protocols.AddRange(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                }
                else if (Is(name, "Authorization"))
                {
                    request.Authorization = value;
                }
                else if (Is(name, "Transfer-Encoding") || (Is(name, "Content-Length") && value != "0"))
                {
                    return null;   // an upgrade has no body: leave anything unusual to HTTP
                }
            }

            // HTTP/1.1 requires Host: a request without one is HTTP's to refuse (400).
            request.IsUpgrade = host && upgrade && connectionUpgrade && version13 && request.WebSocketKey is { Length: 24 };
            return request;
        }

        private static bool Is(string name, string expected) => name.Equals(expected, StringComparison.OrdinalIgnoreCase);
    }
}
