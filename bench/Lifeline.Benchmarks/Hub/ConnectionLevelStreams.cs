using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Lifeline.Hub;
using Lifeline.Hub.Core;
using Lifeline.Hub.Streaming;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// EXPERIMENT for the idle-memory scenario, not a hub endpoint: a Kestrel connection middleware that takes a
/// <c>GET /v1/stream</c> WebSocket upgrade before Kestrel's HTTP/1.1 layer sees it (the WebSocket runs straight on the
/// transport pipes), so no HTTP connection, context, headers or request/response streams stay alive per stream. It
/// shows what such an endpoint would cost per idle subscriber. It does no authentication, answers no errors (anything
/// else goes on to HTTP unchanged) and skips the hub's metrics: a real one would need all of that.
/// </summary>
internal static class ConnectionLevelStreams
{
    private static readonly byte[] WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8.ToArray();

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(Func<LogHub> hub) => next => async connection =>
    {
        var input = connection.Transport.Input;
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            var end = buffer.PositionOf((byte)'\n');
            if (!buffer.IsEmpty && (buffer.FirstSpan[0] != (byte)'G' || buffer.Length > 8192 || read.IsCompleted))
            {
                input.AdvanceTo(buffer.Start);
                break;
            }

            var request = Encoding.ASCII.GetString(buffer.ToArray());
            var headerEnd = request.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end is null || headerEnd < 0)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            if (!request.StartsWith("GET /v1/stream ", StringComparison.Ordinal) || Header(request, "Sec-WebSocket-Key") is not { } key)
            {
                input.AdvanceTo(buffer.Start);
                break;
            }

            input.AdvanceTo(buffer.GetPosition(headerEnd + 4));
#pragma warning disable CA5350 // RFC 6455 mandates SHA-1 for Sec-WebSocket-Accept; it is no security boundary.
            var accept = Convert.ToBase64String(SHA1.HashData([.. Encoding.ASCII.GetBytes(key), .. WebSocketGuid]));
#pragma warning restore CA5350
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")).ConfigureAwait(false);
            var options = hub().Options;
            using var socket = WebSocket.CreateFromStream(new DuplexPipeStream(connection.Transport), new WebSocketCreationOptions
            {
                IsServer = true,
                KeepAliveInterval = options.KeepAliveInterval,
                KeepAliveTimeout = options.KeepAliveTimeout,
            });
            await hub().RunConnectionAsync(new Subscriber(socket, hub(), LogFilter.All, null, null, NullLogger.Instance)).ConfigureAwait(false);
            return;
        }

        await next(connection).ConfigureAwait(false);
    };

    private static string? Header(string request, string name)
    {
        foreach (var line in request.Split("\r\n"))
        {
            if (line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }

        return null;
    }

    private sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _in = pipe.Input.AsStream();
        private readonly Stream _out = pipe.Output.AsStream();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _in.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _out.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => _out.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush() => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
