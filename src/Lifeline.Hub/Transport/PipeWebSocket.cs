using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;

namespace Lifeline.Hub.Transport;

/// <summary>
/// The server end of a WebSocket (RFC 6455) written straight into a Kestrel connection's transport pipes: the lean
/// streams' socket (docs/hub.md, "Lean streams"). A frame is written into the output pipe in one piece and flushed, so a
/// shared <c>entries</c> frame whose header was encoded once (<see cref="SendFramedAsync"/>) costs one copy into the
/// pipe, where the runtime's <c>ManagedWebSocket</c> over a stream adapter copies it into its own buffer first and
/// then through the stream into the pipe. It owns what <c>ManagedWebSocket</c> did for these streams: pongs, keep-alive
/// pings with a pong deadline, the close handshake, and refusing malformed frames with 1002 / 1007.
/// <para>
/// Thread-safety: as <c>ManagedWebSocket</c>, one receive and one send may run at once. Frames go out one at a time
/// under <see cref="_sendLock"/> (data from the caller, pongs from the receive side, pings from the keep-alive timer,
/// the close frame), each written whole and flushed before the next. <see cref="Abort"/> may be called from any thread.
/// </para>
/// </summary>
internal sealed partial class PipeWebSocket : WebSocket
{
    private readonly IDuplexPipe _pipe;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _stateLock = new();

    // Guarded by _stateLock: the handshake's state and the peer's close frame.
    private WebSocketState _state = WebSocketState.Open;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeStatusDescription;

    // Owned by the send side (under _sendLock): whether a message was started without its end (continuation frames follow).
    private bool _sendingMessage;

    /// <summary>Creates the socket over an upgraded connection's pipes and starts its keep-alive (PipeWebSocket.KeepAlive.cs).</summary>
    public PipeWebSocket(IDuplexPipe pipe, string? subProtocol, TimeSpan keepAliveInterval, TimeSpan keepAliveTimeout, TimeProvider time)
    {
        _pipe = pipe;
        SubProtocol = subProtocol;
        _time = time;
        StartKeepAlive(keepAliveInterval, keepAliveTimeout);
    }

    public override WebSocketCloseStatus? CloseStatus { get { lock (_stateLock) { return _closeStatus; } } }

    public override string? CloseStatusDescription { get { lock (_stateLock) { return _closeStatusDescription; } } }

    public override WebSocketState State { get { lock (_stateLock) { return _state; } } }

    public override string? SubProtocol { get; }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (messageType is not (WebSocketMessageType.Text or WebSocketMessageType.Binary))
        {
            throw new ArgumentException("Only text and binary messages can be sent; close with CloseOutputAsync.", nameof(messageType));
        }

        var opcode = messageType == WebSocketMessageType.Text ? WebSocketFrames.Text : WebSocketFrames.Binary;
        return SendFrameAsync(opcode, buffer, endOfMessage, framed: false);
    }

    /// <summary>
    /// Sends a whole text frame already encoded as a server frame, header included (<see cref="WebSocketFrames.WriteHeader"/>):
    /// the shared frames' path. It must not interrupt a message sent in pieces.
    /// </summary>
    public ValueTask SendFramedAsync(ReadOnlyMemory<byte> frame) => SendFrameAsync(WebSocketFrames.Text, frame, fin: true, framed: true);

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        SendCloseAsync(closeStatus, statusDescription);

    public override async Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        await SendCloseAsync(closeStatus, statusDescription).ConfigureAwait(false);
        var discard = new byte[WebSocketFrames.MaxControlPayload];
        while (State == WebSocketState.CloseSent)
        {
            await ReceiveAsync(discard.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the socket at once: pending and later sends and receives fail, nothing more is written. The transport
    /// connection stays for its owner to abort or complete.
    /// </summary>
    public override void Abort()
    {
        lock (_stateLock)
        {
            if (_state is WebSocketState.Closed or WebSocketState.Aborted)
            {
                return;
            }

            _state = WebSocketState.Aborted;
        }

        StopKeepAlive();
        _pipe.Output.CancelPendingFlush();
        _pipe.Input.CancelPendingRead();
    }

    public override void Dispose()
    {
        lock (_stateLock)
        {
            if (_state != WebSocketState.Aborted)
            {
                _state = WebSocketState.Closed;
            }
        }

        StopKeepAlive();
    }

    private async Task SendCloseAsync(WebSocketCloseStatus status, string? description)
    {
        var reason = Encoding.UTF8.GetBytes(description ?? "");
        if (reason.Length > WebSocketFrames.MaxControlPayload - 2)
        {
            throw new ArgumentException("The close reason is longer than 123 UTF-8 bytes.", nameof(description));
        }

        var payload = new byte[2 + reason.Length];
        payload[0] = (byte)((int)status >> 8);
        payload[1] = (byte)status;
        reason.CopyTo(payload, 2);
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_stateLock)
            {
                _state = _state switch
                {
                    WebSocketState.Open => WebSocketState.CloseSent,
                    WebSocketState.CloseReceived => WebSocketState.Closed,
                    _ => throw new WebSocketException(WebSocketError.InvalidState, $"The WebSocket cannot send a close frame in state {_state}."),
                };
            }

            WriteFrame(WebSocketFrames.Close, payload, fin: true, framed: false);
            await FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Sends one frame, synchronously when the send lock is free and the pipe takes it without waiting.</summary>
    private ValueTask SendFrameAsync(byte opcode, ReadOnlyMemory<byte> payload, bool fin, bool framed)
    {
        if (!_sendLock.Wait(0))
        {
            return SendFrameSlowAsync(opcode, payload, fin, framed);
        }

        var release = true;
        try
        {
            EnsureCanSend(framed);
            WriteFrame(opcode, payload.Span, fin, framed);
            var flush = _pipe.Output.FlushAsync();
            if (flush.IsCompletedSuccessfully)
            {
                CheckFlush(flush.Result);
                return ValueTask.CompletedTask;
            }

            release = false;
            return AwaitFlushAndReleaseAsync(flush);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ValueTask.FromException(AsSocketError(e));
        }
        finally
        {
            if (release)
            {
                _sendLock.Release();
            }
        }
    }

    private async ValueTask SendFrameSlowAsync(byte opcode, ReadOnlyMemory<byte> payload, bool fin, bool framed)
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            EnsureCanSend(framed);
            WriteFrame(opcode, payload.Span, fin, framed);
            await FlushAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or WebSocketException))
        {
            throw AsSocketError(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask AwaitFlushAndReleaseAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            CheckFlush(await flush.ConfigureAwait(false));
        }
        catch (Exception e) when (e is not (OutOfMemoryException or WebSocketException))
        {
            throw AsSocketError(e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask FlushAsync() => CheckFlush(await _pipe.Output.FlushAsync().ConfigureAwait(false));

    private static void CheckFlush(FlushResult result)
    {
        if (result.IsCanceled)
        {
            throw new WebSocketException(WebSocketError.InvalidState, "The WebSocket was aborted.");
        }

        if (result.IsCompleted)
        {
            // The transport stopped reading the pipe: the connection is gone.
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The connection was closed.");
        }
    }

    /// <summary>
    /// Called under the send lock: frames go out only until the close frame has been sent, and a pre-framed (whole)
    /// message never lands inside a message being sent in pieces.
    /// </summary>
    private void EnsureCanSend(bool framed)
    {
        var state = State;
        if (state is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            throw new WebSocketException(WebSocketError.InvalidState, $"The WebSocket cannot send in state {state}.");
        }

        if (framed && _sendingMessage)
        {
            throw new InvalidOperationException("A whole frame cannot be sent while a message is being sent in pieces.");
        }
    }

    /// <summary>Called under the send lock: writes the frame (header and payload) into the output pipe, unflushed.</summary>
    private void WriteFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin, bool framed)
    {
        var output = _pipe.Output;
        if (framed)
        {
            output.Write(payload);
            return;
        }

        if (opcode is WebSocketFrames.Text or WebSocketFrames.Binary)
        {
            if (_sendingMessage)
            {
                opcode = WebSocketFrames.Continuation;
            }

            _sendingMessage = !fin;
        }

        var header = output.GetSpan(WebSocketFrames.MaxHeaderBytes);
        output.Advance(WebSocketFrames.WriteHeader(header, opcode, fin, payload.Length));
        output.Write(payload);
    }

    private Exception AsSocketError(Exception e) =>
        e is WebSocketException ? e
        : State == WebSocketState.Aborted ? new WebSocketException(WebSocketError.InvalidState, "The WebSocket was aborted.", e)
        : new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The connection failed: " + e.Message, e);
}
