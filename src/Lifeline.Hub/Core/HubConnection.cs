using System.Buffers;
using System.Net.WebSockets;
using System.Text.Unicode;
using Lifeline.Hub.Auth;
using Lifeline.Hub.Transport;
using Lifeline.Protocol;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Core;

/// <summary>
/// One hub WebSocket: a receive loop and a send loop. Only the send loop writes to the socket (frames, then the close
/// frame), so sends never overlap. A close is requested once (<see cref="RequestClose"/>) by whoever sees the reason
/// first: the peer's close, bad input, revocation, a slow consumer, shutdown. <see cref="RunAsync"/> ends when both
/// loops have ended, aborting the socket if the close handshake does not finish within the close timeout.
/// </summary>
internal abstract partial class HubConnection(WebSocket socket, HubContext hub, string? clientId, ApiKey? key, ILogger logger)
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);
    private readonly TaskCompletionSource<(int Code, string Reason, Func<long?, CloseReason>? ReasonFor)> _close = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _closeFrameReceived;
    private bool _socketRefusedFrame;
    private int _receiveBufferBytes;

    protected WebSocket Socket { get; } = socket;

    /// <summary>The hub's options, metrics and clock.</summary>
    protected HubContext Hub { get; } = hub;

    protected ILogger Logger { get; } = logger;

    public string? ClientId { get; } = clientId;

    public ApiKey? Key { get; } = key;

    public bool IsCloseRequested => _close.Task.IsCompleted;

    /// <summary>Bytes of receive buffer held now: 0 while no message is arriving (tests check that idle connections hold none).</summary>
    public int ReceiveBufferBytes => Volatile.Read(ref _receiveBufferBytes);

    /// <summary>
    /// Whether the WebSocket itself refused a frame (text that is not UTF-8: <c>1007</c>; a protocol violation:
    /// <c>1002</c>): it sent its close frame and stopped reading, so no close handshake follows. The request must then
    /// linger (<see cref="LingerAsync"/>) before the connection is torn down.
    /// </summary>
    public bool SocketRefusedFrame => _socketRefusedFrame;

    /// <summary>For a 1001 close: the position to resume after, or <see langword="null"/> (ingest).</summary>
    public abstract long? ResumePosition { get; }

    /// <summary>Asks the connection to close with <paramref name="code"/>; the first request wins.</summary>
    public void RequestClose(int code, string reason)
    {
        if (_close.TrySetResult((code, reason, null)))
        {
            LogCloseRequested(Logger, GetType().Name, ClientId, code, reason);
            OnCloseRequested();
        }
    }

    /// <summary>
    /// Asks the connection to close with 1001 (the first request wins). The reason is made by
    /// <paramref name="reasonFor"/> from <see cref="ResumePosition"/> only when the close frame is sent, after the
    /// last frame: a frame that was being sent when the close was asked for is counted, so <c>resumeAfter</c> is
    /// exactly the largest id sent (docs/protocol.md).
    /// </summary>
    public void RequestGoingAway(Func<long?, CloseReason> reasonFor)
    {
        if (_close.TrySetResult((CloseCodes.GoingAway, "", reasonFor)))
        {
            LogCloseRequested(Logger, GetType().Name, ClientId, CloseCodes.GoingAway, "going away");
            OnCloseRequested();
        }
    }

    /// <summary>
    /// Aborts the socket (shutdown or send deadline passed): its stream is disposed, which also fails a send that waits
    /// for the peer, so both loops end.
    /// </summary>
    public void Abort() => Socket.Abort();

    public async Task RunAsync()
    {
        using var revoked = Key?.Revoked.Register(() => RequestClose(CloseCodes.Unauthorized, "key revoked"));
        var receive = ReceiveLoopAsync();
        var send = SendLoopAsync();
        try
        {
            if (await Task.WhenAny(receive, send).ConfigureAwait(false) == send)
            {
                // The send loop ended (close sent, or the socket failed): make sure nothing more is queued.
                RequestClose(CloseCodes.Normal, "");
            }

            try
            {
                await Task.WhenAll(receive, send).WaitAsync(CloseTimeout, Hub.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Socket.Abort();
                await Task.WhenAll(receive, send).ConfigureAwait(false);
            }
        }
        finally
        {
            DisposeSendDeadline();
        }

        if (!_closeFrameReceived)
        {
            Hub.Metrics.AbnormalDisconnect();
        }
    }

    /// <summary>
    /// After <see cref="SocketRefusedFrame"/>: waits until the peer closes the connection (<paramref name="peerGone"/>),
    /// at most the close timeout. Kestrel closes a connection it still reads from abortively (a TCP reset), and a reset
    /// that reaches the peer before it has read the close frame discards that frame: the peer would see 1006 instead of
    /// the code it was sent. A peer that read the close frame closes its side, so this usually ends at once.
    /// </summary>
    public async Task LingerAsync(CancellationToken peerGone)
    {
        var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (peerGone.Register(() => gone.TrySetResult()))
        {
            try
            {
                await gone.Task.WaitAsync(CloseTimeout, Hub.Time, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The peer keeps the connection open: tear it down anyway, as a close handshake that times out does.
            }
        }
    }

    protected abstract void OnCloseRequested();

    /// <summary>Sends until a close is requested, then sends the close frame.</summary>
    protected abstract Task SendLoopAsync();

    /// <summary>Handles one complete text message (validated UTF-8, within the size limit).</summary>
    protected abstract ValueTask OnMessageAsync(ReadOnlyMemory<byte> message);

    /// <summary>Sends the requested close frame if the socket still allows it. Called by the send loop only.</summary>
    protected async Task SendCloseAsync()
    {
        var (code, reason, reasonFor) = await _close.Task.ConfigureAwait(false);
        if (reasonFor is not null)
        {
            reason = reasonFor(ResumePosition).ToJson();
        }

        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                await Socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, CancellationToken.None).ConfigureAwait(false);
            }
            catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.Faulted && !IsCloseRequested)
        {
            // The socket refused the frame before it reached us (it validates text as UTF-8, and frame headers): it has
            // sent 1007 or 1002 itself. Keep-alive timeouts and resets surface as other errors.
            _socketRefusedFrame = true;
            Hub.Metrics.BadInput("frame");
            LogFrameRefused(Logger, GetType().Name, ClientId, e.Message);
            RequestClose(CloseCodes.InvalidPayload, "the WebSocket refused a frame");
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The peer is gone: the receive loop sees it too.
            }
        }
    }

    /// <summary>Sends one text message; <see langword="false"/> if the socket failed (the connection is ending).</summary>
    protected ValueTask<bool> SendAsync(ReadOnlyMemory<byte> message)
    {
        var send = StartSend(message);
        return send.IsCompleted ? ValueTask.FromResult(EndSend(send)) : new ValueTask<bool>(AwaitSendAsync(send));
    }

    /// <summary>Awaits a pending <see cref="StartSend"/>; <see langword="false"/> if the socket failed (the connection is ending).</summary>
    protected async Task<bool> AwaitSendAsync(ValueTask pending)
    {
        ArmSendDeadline();
        try
        {
            await pending.ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (IsSocketFailure(e))
        {
            return SendFailed(e);
        }
        finally
        {
            DisarmSendDeadline();
        }
    }

    /// <summary>
    /// Starts sending one text message without awaiting it; a synchronous failure is returned in the task. A lean
    /// stream's socket takes <paramref name="frame"/>, the message already framed (a shared frame), when there is one.
    /// </summary>
    protected ValueTask StartSend(ReadOnlyMemory<byte> message, ReadOnlyMemory<byte> frame = default)
    {
        try
        {
            return !frame.IsEmpty && Socket is PipeWebSocket lean
                ? lean.SendFramedAsync(frame)
                : Socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        }
        catch (Exception e) when (IsSocketFailure(e))
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Observes a completed <see cref="StartSend"/>; <see langword="false"/> if the socket failed (the connection is ending).</summary>
    protected bool EndSend(ValueTask completed)
    {
        try
        {
            completed.GetAwaiter().GetResult();
            return true;
        }
        catch (Exception e) when (IsSocketFailure(e))
        {
            return SendFailed(e);
        }
    }

    private static bool IsSocketFailure(Exception e) => e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException;

    private bool SendFailed(Exception e)
    {
        LogSendEnded(Logger, e, GetType().Name, ClientId);
        RequestClose(CloseCodes.Normal, "");
        return false;
    }

    // An idle connection holds no receive buffer: it waits with a zero-byte receive (the WebSocket reads the next frame
    // header into its own small buffer and answers pings meanwhile), rents a buffer when a data frame starts and
    // returns it once the message is handled. Invariant: buffer is empty exactly when no message is in progress
    // (or after a close request, while input is drained to the peer's close frame).
    private async Task ReceiveLoopAsync()
    {
        await Task.Yield();
        var max = Hub.Options.MaxMessageBytes;
        var buffer = Array.Empty<byte>();
        var rentBytes = InitialReceiveBufferBytes;   // the size the last message needed: a busy publisher rents it at once
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length && length > 0)
                {
                    var bigger = InputBuffers.Rent(Math.Min(buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    InputBuffers.Return(buffer);
                    buffer = bigger;
                    rentBytes = buffer.Length;
                    Volatile.Write(ref _receiveBufferBytes, buffer.Length);
                }

                var result = await Socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _closeFrameReceived = true;
                    RequestClose(CloseCodes.Normal, "");
                    return;
                }

                if (buffer.Length == 0 && !result.EndOfMessage)
                {
                    // A data frame with a payload started (the zero-byte receive consumed only its header).
                    buffer = InputBuffers.Rent(rentBytes);
                    Volatile.Write(ref _receiveBufferBytes, buffer.Length);
                    continue;
                }

                length += result.Count;
                if (IsCloseRequested)
                {
                    // After a close was requested, input is read only to reach the peer's close frame.
                    length = 0;
                    continue;
                }

                if (length > max)
                {
                    Hub.Metrics.BadInput("too_large");
                    RequestClose(CloseCodes.MessageTooBig, $"message larger than {max} bytes");
                    length = 0;
                    continue;
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Hub.Metrics.BadInput("binary");
                    RequestClose(BinaryCloseCode, "binary frames are not accepted");
                }
                else if (!Utf8.IsValid(buffer.AsSpan(0, length)))
                {
                    // The runtime's WebSocket refuses such text first (SocketRefusedFrame); kept for one that does not.
                    Hub.Metrics.BadInput("utf8");
                    RequestClose(CloseCodes.InvalidPayload, "text is not valid UTF-8");
                }
                else
                {
                    await OnMessageAsync(buffer.AsMemory(0, length)).ConfigureAwait(false);
                }

                length = 0;
                if (!IsCloseRequested)
                {
                    ReturnBuffer(ref buffer);
                    Volatile.Write(ref _receiveBufferBytes, 0);
                }
            }
        }
        catch (WebSocketException e) when (e.WebSocketErrorCode == WebSocketError.Faulted && !IsCloseRequested)
        {
            // The socket refused the frame before it reached us (it validates text as UTF-8, and frame headers): it has
            // sent 1007 or 1002 itself. Keep-alive timeouts and resets surface as other errors.
            _socketRefusedFrame = true;
            Hub.Metrics.BadInput("frame");
            LogFrameRefused(Logger, GetType().Name, ClientId, e.Message);
            RequestClose(CloseCodes.InvalidPayload, "the WebSocket refused a frame");
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            LogReceiveEnded(Logger, e, GetType().Name, ClientId);
            RequestClose(CloseCodes.Normal, "");
        }
        finally
        {
            ReturnBuffer(ref buffer);
            Volatile.Write(ref _receiveBufferBytes, 0);
        }
    }

    private static void ReturnBuffer(ref byte[] buffer)
    {
        if (buffer.Length > 0)
        {
            InputBuffers.Return(buffer);
            buffer = [];
        }
    }

    /// <summary>The receive buffer rented when the first message starts (it grows to <see cref="HubOptions.MaxMessageBytes"/>; later messages rent the size the last one needed). Idle connections hold none.</summary>
    protected virtual int InitialReceiveBufferBytes => 4096;

    /// <summary>The close code for a binary frame: 1003 on ingest; the stream accepts no data at all (4400).</summary>
    protected virtual int BinaryCloseCode => CloseCodes.UnsupportedData;

    [LoggerMessage(EventId = 20, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Connection} of client {ClientId}: closing with {Code} {Reason}")]
    private static partial void LogCloseRequested(ILogger logger, string connection, string? clientId, int code, string reason);

    [LoggerMessage(EventId = 23, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Connection} of client {ClientId}: the WebSocket refused a frame and closed (1007 for text that is not UTF-8, 1002 for a protocol violation): {Reason}")]
    private static partial void LogFrameRefused(ILogger logger, string connection, string? clientId, string reason);

    [LoggerMessage(EventId = 22, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Connection} of client {ClientId}: send failed")]
    private static partial void LogSendEnded(ILogger logger, Exception exception, string connection, string? clientId);

    [LoggerMessage(EventId = 21, Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "{Connection} of client {ClientId}: receive ended")]
    private static partial void LogReceiveEnded(ILogger logger, Exception exception, string connection, string? clientId);
}
