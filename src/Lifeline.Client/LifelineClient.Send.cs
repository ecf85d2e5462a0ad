using System.Net.WebSockets;
using System.Text;
using Lifeline.Client.Internal;

namespace Lifeline.Client;

// Sending: every message goes through the bounded buffer and one send pump per connection, which starts only after
// OnConnected has finished; sends made inside OnConnected go straight to the socket, ahead of the buffer.
public sealed partial class LifelineClient
{
    /// <summary>Sends a text message, or buffers it while disconnected. Thread-safe; messages from one caller keep their order.</summary>
    /// <param name="text">The message.</param>
    /// <param name="cancellationToken">Gives up waiting: a message still in the buffer is removed and the call throws
    /// <see cref="OperationCanceledException"/>; a message already being written completes with its result.</param>
    /// <returns>The message's fate, once known: sent, dropped, expired or failed (with the reason).</returns>
    public ValueTask<SendResult> SendAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SendCoreAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    /// <summary>Sends UTF-8 text (copied before this returns), or buffers it while disconnected. See <see cref="SendAsync(string, CancellationToken)"/>.</summary>
    /// <param name="utf8Text">The message as UTF-8.</param>
    /// <param name="cancellationToken">Gives up waiting (see <see cref="SendAsync(string, CancellationToken)"/>).</param>
    /// <returns>The message's fate, once known.</returns>
    public ValueTask<SendResult> SendAsync(ReadOnlyMemory<byte> utf8Text, CancellationToken cancellationToken) =>
        SendCoreAsync(utf8Text.ToArray(), cancellationToken);

    private async ValueTask<SendResult> SendCoreAsync(byte[] payload, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (payload.Length > _options.MaxMessageBytes)
        {
            return _sendBuffer.Fail(SendStatus.Failed, $"message of {payload.Length} bytes exceeds MaxMessageBytes ({_options.MaxMessageBytes})");
        }

        if (s_onConnectedScope.Value is { } scoped && ReferenceEquals(scoped, Volatile.Read(ref _current)))
        {
            return await SendDirectAsync(scoped, payload, cancellationToken).ConfigureAwait(false);
        }

        var item = new PendingSend(payload, _time.GetTimestamp());
        while (true)
        {
            if (_sendBuffer.TryAdd(item, out var mustWait) is { } immediate)
            {
                return immediate;
            }

            if (!mustWait)
            {
                break;
            }

            await _sendBuffer.WaitForSpaceAsync(cancellationToken).ConfigureAwait(false);
        }

        if (!cancellationToken.CanBeCanceled)
        {
            return await item.Outcome.ConfigureAwait(false);
        }

        using (cancellationToken.UnsafeRegister(static (s, token) => CancelBuffered((LifelineClient)((object[])s!)[0], (PendingSend)((object[])s!)[1], token), new object[] { this, item }))
        {
            return await item.Outcome.ConfigureAwait(false);
        }
    }

    private static void CancelBuffered(LifelineClient client, PendingSend item, CancellationToken token)
    {
        if (client._sendBuffer.TryRemove(item))
        {
            item.TryCancel(token);
        }
    }

    private async ValueTask<SendResult> SendDirectAsync(Connection conn, byte[] payload, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, conn.Cts.Token);
        await conn.SendLock.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            await conn.Socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            _metrics.Sent(payload.Length);
            return SendResult.Sent;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            return _sendBuffer.Fail(SendStatus.Failed, $"connection {conn.Epoch} failed while writing: {ex.Message}");
        }
        finally
        {
            conn.SendLock.Release();
        }
    }

    private async Task SendPumpAsync(Connection conn)
    {
        var token = conn.Cts.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (_sendBuffer.TryTake() is not { } item)
                {
                    await _sendBuffer.WaitForItemAsync(token).ConfigureAwait(false);
                    continue;
                }

                await conn.SendLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    // No token: cancelling a WebSocket write aborts the socket; a stop lets the write finish (or aborts it at its deadline).
                    await conn.Socket.SendAsync(item.Payload, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
                {
                    var stopping = _stopCts.IsCancellationRequested;
                    if (stopping)
                    {
                        Interlocked.Increment(ref _abandonedInFlight);
                    }
                    else if (!token.IsCancellationRequested)
                    {
                        Log.SendFailed(_logger, _name, conn.Epoch, ex);
                        ReportError(ErrorCategory.Send, ex);
                    }

                    _sendBuffer.Complete(item, new SendResult(SendStatus.Failed, stopping
                        ? "client stopped while the message was being written"
                        : $"connection {conn.Epoch} failed while the message was being written: {ex.Message}"));
                    EndConnection(conn, new DisconnectInfo(DisconnectReason.Lost, Exception: ex));
                    return;
                }
                finally
                {
                    conn.SendLock.Release();
                }

                _metrics.Sent(item.Payload.Length);
                _sendBuffer.Complete(item, SendResult.Sent);
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended or the client is stopping; what is still buffered waits for the next connection.
        }
    }
}
