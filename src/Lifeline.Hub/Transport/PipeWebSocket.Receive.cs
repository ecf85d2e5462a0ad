using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Unicode;

namespace Lifeline.Hub.Transport;

/// <summary>
/// The receive side: parses the peer's frames from the input pipe. A client's frames must be masked (RFC 6455 5.1);
/// control frames are whole (at most 125 bytes, never fragmented) and handled here: a ping is answered with a pong, a
/// pong may answer the keep-alive ping, a close frame ends the receive side. Data frames are returned to the caller as
/// <c>ManagedWebSocket</c> returns them, including its zero-byte receive (with an empty buffer, a receive returns once
/// a data frame's header has been read, having consumed only the header). A malformed frame gets a close frame with
/// 1002 (1007 for a close reason that is not UTF-8) and a <see cref="WebSocketException"/> with
/// <see cref="WebSocketError.Faulted"/>, as <c>ManagedWebSocket</c> refuses one; text payloads are not validated here
/// (the hub validates each whole message).
/// </summary>
internal sealed partial class PipeWebSocket
{
    // Owned by the receive side (one receive at a time): the data frame being read, and the message it belongs to.
    private long _frameRemaining;       // payload bytes of the current data frame not yet returned
    private bool _inFrame;              // a data frame's header was read and its payload is not all returned
    private bool _frameFin;             // the current data frame ends its message
    private uint _frameMask;
    private int _frameMaskOffset;
    private bool _inMessage;            // a message was started and its final frame not read yet
    private WebSocketMessageType _messageType;

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return result.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(0, WebSocketMessageType.Close, true, CloseStatus, CloseStatusDescription)
            : new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        using var cancel = cancellationToken.CanBeCanceled ? cancellationToken.UnsafeRegister(static s => ((PipeWebSocket)s!).Abort(), this) : default;
        var input = _pipe.Input;
        while (true)
        {
            if (State is not (WebSocketState.Open or WebSocketState.CloseSent))
            {
                throw new WebSocketException(WebSocketError.InvalidState, $"The WebSocket cannot receive in state {State}.");
            }

            if (_inFrame && buffer.IsEmpty)
            {
                return new ValueWebSocketReceiveResult(0, _messageType, false);
            }

            var read = await ReadAsync(input).ConfigureAwait(false);
            var data = read.Buffer;
            if (_inFrame)
            {
                if (data.IsEmpty)
                {
                    input.AdvanceTo(data.Start, data.End);
                    ThrowIfEnded(read);
                    continue;
                }

                var count = (int)Math.Min(Math.Min(data.Length, buffer.Length), _frameRemaining);
                var into = buffer.Span[..count];
                data.Slice(0, count).CopyTo(into);
                input.AdvanceTo(data.GetPosition(count));
                _frameMaskOffset = WebSocketFrames.Unmask(into, _frameMask, _frameMaskOffset);
                _frameRemaining -= count;
                var end = false;
                if (_frameRemaining == 0)
                {
                    _inFrame = false;
                    end = _frameFin;
                    _inMessage = !_frameFin;
                }

                return new ValueWebSocketReceiveResult(count, _messageType, end);
            }

            if (!TryReadHeader(data, out var header))
            {
                input.AdvanceTo(data.Start, data.End);
                ThrowIfEnded(read);
                continue;
            }

            if (Validate(header) is { } error)
            {
                input.AdvanceTo(data.Start, data.End);
                await FailAsync(error.Status, error.Message).ConfigureAwait(false);
            }

            if (header.IsControl)
            {
                if (data.Length < header.Length + header.PayloadLength)
                {
                    input.AdvanceTo(data.Start, data.End);   // the whole control frame is read at once
                    ThrowIfEnded(read);
                    continue;
                }

                var payload = new byte[header.PayloadLength];
                data.Slice(header.Length, payload.Length).CopyTo(payload);
                input.AdvanceTo(data.GetPosition(header.Length + payload.Length));
                WebSocketFrames.Unmask(payload, header.Mask, 0);
                if (await OnControlFrameAsync(header.Opcode, payload).ConfigureAwait(false))
                {
                    return new ValueWebSocketReceiveResult(0, WebSocketMessageType.Close, true);
                }

                continue;
            }

            input.AdvanceTo(data.GetPosition(header.Length));
            if (header.Opcode != WebSocketFrames.Continuation)
            {
                _messageType = header.Opcode == WebSocketFrames.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
            }

            _frameFin = header.Fin;
            _frameMask = header.Mask;
            _frameMaskOffset = 0;
            _frameRemaining = header.PayloadLength;
            if (header.PayloadLength == 0)
            {
                _inMessage = !header.Fin;
                return new ValueWebSocketReceiveResult(0, _messageType, header.Fin);
            }

            _inFrame = true;
            _inMessage = true;
            if (buffer.IsEmpty)
            {
                return new ValueWebSocketReceiveResult(0, _messageType, false);
            }
        }
    }

    private static async ValueTask<ReadResult> ReadAsync(PipeReader input)
    {
        var read = await input.ReadAsync().ConfigureAwait(false);
        if (read.IsCanceled)
        {
            throw new WebSocketException(WebSocketError.InvalidState, "The WebSocket was aborted.");
        }

        return read;
    }

    private static void ThrowIfEnded(ReadResult read)
    {
        if (read.IsCompleted)
        {
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The remote party closed the connection without completing the close handshake.");
        }
    }

    /// <summary>Handles a whole control frame; true for a close frame (the receive side has ended).</summary>
    private async ValueTask<bool> OnControlFrameAsync(byte opcode, byte[] payload)
    {
        switch (opcode)
        {
            case WebSocketFrames.Ping:
                await SendControlAsync(WebSocketFrames.Pong, payload).ConfigureAwait(false);
                return false;
            case WebSocketFrames.Pong:
                OnPong(payload);
                return false;
        }

        // Close: an optional status code (two bytes, a valid one) and an optional UTF-8 reason.
        WebSocketCloseStatus status;
        string? reason = null;
        if (payload.Length == 0)
        {
            status = WebSocketCloseStatus.Empty;
        }
        else
        {
            var code = payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(payload) : 0;
            if (payload.Length == 1 || !WebSocketFrames.IsValidCloseCode(code))
            {
                await FailAsync(WebSocketCloseStatus.ProtocolError, $"The close frame's status code is invalid ({(payload.Length == 1 ? "one byte" : code)}).").ConfigureAwait(false);
            }

            if (!Utf8.IsValid(payload.AsSpan(2)))
            {
                await FailAsync(WebSocketCloseStatus.InvalidPayloadData, "The close frame's reason is not valid UTF-8.").ConfigureAwait(false);
            }

            status = (WebSocketCloseStatus)code;
            reason = Encoding.UTF8.GetString(payload.AsSpan(2));
        }

        lock (_stateLock)
        {
            _closeStatus = status;
            _closeStatusDescription = reason;
            _state = _state == WebSocketState.CloseSent ? WebSocketState.Closed : WebSocketState.CloseReceived;
        }

        if (State == WebSocketState.Closed)
        {
            StopKeepAlive();
        }

        return true;
    }

    /// <summary>Why a frame header is refused (1002), or <see langword="null"/>.</summary>
    private (WebSocketCloseStatus Status, string Message)? Validate(in FrameHeader header)
    {
        if (header.Reserved)
        {
            return (WebSocketCloseStatus.ProtocolError, "A frame set a reserved bit (no extension was negotiated).");
        }

        if (!header.Masked)
        {
            return (WebSocketCloseStatus.ProtocolError, "A client frame was not masked.");
        }

        if (header.IsControl)
        {
            return header.Opcode is not (WebSocketFrames.Close or WebSocketFrames.Ping or WebSocketFrames.Pong) ? (WebSocketCloseStatus.ProtocolError, $"Unknown opcode {header.Opcode}.")
                : !header.Fin ? (WebSocketCloseStatus.ProtocolError, "A control frame was fragmented.")
                : header.PayloadLength > WebSocketFrames.MaxControlPayload ? (WebSocketCloseStatus.ProtocolError, "A control frame's payload is longer than 125 bytes.")
                : null;
        }

        return header.Opcode switch
        {
            WebSocketFrames.Continuation when !_inMessage => (WebSocketCloseStatus.ProtocolError, "A continuation frame started no message."),
            WebSocketFrames.Text or WebSocketFrames.Binary when _inMessage => (WebSocketCloseStatus.ProtocolError, "A new message started before the last one ended."),
            > WebSocketFrames.Binary => (WebSocketCloseStatus.ProtocolError, $"Unknown opcode {header.Opcode}."),
            _ when header.PayloadLength < 0 => (WebSocketCloseStatus.ProtocolError, "A frame's length has its most significant bit set."),
            _ => null,
        };
    }

    /// <summary>Refuses the peer's input: sends the close frame (when one may still be sent) and throws, as <c>ManagedWebSocket</c> does.</summary>
    private async Task FailAsync(WebSocketCloseStatus status, string message)
    {
        if (State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await SendCloseAsync(status, null).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
            }
        }

        throw new WebSocketException(WebSocketError.Faulted, message);
    }

    private static bool TryReadHeader(ReadOnlySequence<byte> data, out FrameHeader header)
    {
        header = default;
        if (data.Length < 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[WebSocketFrames.MaxHeaderBytes];
        var known = (int)Math.Min(data.Length, bytes.Length);
        data.Slice(0, known).CopyTo(bytes);
        var masked = (bytes[1] & 0x80) != 0;
        var length7 = bytes[1] & 0x7F;
        var headerLength = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (known < headerLength)
        {
            return false;
        }

        long payloadLength = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]),
            _ => length7,
        };
        var mask = masked ? BinaryPrimitives.ReadUInt32BigEndian(bytes[(headerLength - 4)..]) : 0;
        header = new FrameHeader((bytes[0] & 0x80) != 0, (bytes[0] & 0x70) != 0, (byte)(bytes[0] & 0x0F), masked, mask, payloadLength, headerLength);
        return true;
    }

    /// <summary>A client frame's header; <see cref="Length"/> is its size in bytes.</summary>
    private readonly record struct FrameHeader(bool Fin, bool Reserved, byte Opcode, bool Masked, uint Mask, long PayloadLength, int Length)
    {
        public bool IsControl => (Opcode & 0x8) != 0;
    }
}
