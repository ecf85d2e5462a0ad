using System.Buffers;
using System.Net.WebSockets;
using Lifeline.Client.Internal;

namespace Lifeline.Client;

// The receive loop: the hot path. One pooled buffer per connection (grown by doubling up to MaxMessageBytes), one
// exact-size copy per message, no per-message task unless the inbox or the handlers apply backpressure.
// Hand-off batching: messages read while the socket has data buffered (ReceiveAsync completes synchronously) collect in
// a per-loop batch and reach the inbox together just before the loop would wait on the socket (or every MaxInboxBatch
// messages), so a caught-up reader is woken once per burst instead of once per message. The batch counts against
// ReceiveBufferCapacity like the inbox does, is flushed before any wait (room, handler slots) and when the loop ends,
// so order, the bound and "nothing received is lost" are unchanged.
public sealed partial class LifelineClient
{
    private const int InitialReceiveBufferBytes = 16 * 1024;
    private const int MaxInboxBatch = 64;

    private async Task ReceiveLoopAsync(Connection conn)
    {
        var socket = conn.Socket;
        var max = _options.MaxMessageBytes;
        var watchdog = _options.InactivityTimeout is not null;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBufferBytes, max));
        var count = 0;
        var batch = new List<ReceivedMessage>(_inbox is null ? 0 : MaxInboxBatch);
        DisconnectInfo end;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (count >= max)
                    {
                        end = new DisconnectInfo(DisconnectReason.Error, Exception: new MessageTooLargeException(max));
                        ReportError(ErrorCategory.Receive, end.Exception!);
                        break;
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, max));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                // No token: cancelling a WebSocket read aborts the socket; teardown aborts it explicitly instead.
                var pending = socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, max) - count), CancellationToken.None);
                if (!pending.IsCompleted && !FlushInbox(batch) && !_stopCts.IsCancellationRequested)
                {
                    end = new DisconnectInfo(DisconnectReason.Lost); // the inbox was completed by a fault
                    break;
                }

                var result = await pending.ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    end = new DisconnectInfo(DisconnectReason.ByServer, socket.CloseStatus, socket.CloseStatusDescription);
                    break;
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (watchdog)
                {
                    conn.LastReceivedTimestamp = _time.GetTimestamp();
                }

                var message = new ReceivedMessage(buffer.AsSpan(0, count).ToArray(), result.MessageType, conn.Epoch);
                _metrics.Received(count);
                count = 0;
                if (!await DeliverAsync(message, batch).ConfigureAwait(false) && !_stopCts.IsCancellationRequested)
                {
                    end = new DisconnectInfo(DisconnectReason.Lost); // the inbox was completed by a fault
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            end = Classify(conn, ex);
            if (!conn.Cts.IsCancellationRequested)
            {
                Log.ReceiveFailed(_logger, _name, conn.Epoch, ex);
                ReportError(ErrorCategory.Receive, ex);
            }
        }
        finally
        {
            FlushInbox(batch); // what was read before the end is delivered before the next connection's messages
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Always reported, even when another loop saw the end first: the supervisor keeps the first and drops the rest.
        EndConnection(conn, end);
    }

    /// <summary>Queues a message for ReadAllAsync and the MessageReceived handlers. Waits for room (which pauses reading
    /// the socket) however long the reader takes, even if the connection ends meanwhile: a received message is never
    /// dropped for that. Only a stop ends the wait; false then (the client keeps reading until the server's close
    /// arrives, dropping what nobody will read any more).</summary>
    private ValueTask<bool> DeliverAsync(ReceivedMessage message, List<ReceivedMessage> batch)
    {
        if (_inbox is null)
        {
            return MessageReceived is null ? ValueTask.FromResult(true) : DeliverSlowAsync(message, queued: true);
        }

        // Fast path: room in the inbox counting the batch (this loop is the only writer: the count only drops meanwhile,
        // and the batch is added to it when flushed, so it never exceeds the capacity this way) and no event handlers.
        if (Volatile.Read(ref _inboxCount) + batch.Count < _options.ReceiveBufferCapacity)
        {
            batch.Add(message);
            if (MessageReceived is null)
            {
                return ValueTask.FromResult(batch.Count < MaxInboxBatch || FlushInbox(batch));
            }

            // Handlers may make the loop wait: the reader must not wait for the batch meanwhile.
            return FlushInbox(batch) ? DeliverSlowAsync(message, queued: true) : ValueTask.FromResult(false);
        }

        // Maybe over capacity: the reader can only make room once it has everything queued before this message.
        if (!FlushInbox(batch))
        {
            return ValueTask.FromResult(false);
        }

        if (Interlocked.Increment(ref _inboxCount) <= _options.ReceiveBufferCapacity)
        {
            return _inbox.Writer.TryWrite(message) ? (MessageReceived is null ? ValueTask.FromResult(true) : DeliverSlowAsync(message, queued: true)) : ValueTask.FromResult(false);
        }

        return DeliverSlowAsync(message, queued: false);
    }

    /// <summary>Hands the batch to the reader, in order; false if the inbox was completed (a stop or a fault: nobody
    /// will read the rest).</summary>
    private bool FlushInbox(List<ReceivedMessage> batch)
    {
        if (batch.Count == 0)
        {
            return true;
        }

        Interlocked.Add(ref _inboxCount, batch.Count);
        var open = true;
        foreach (var message in batch)
        {
            open &= _inbox!.Writer.TryWrite(message);
        }

        batch.Clear();
        return open;
    }

    private async ValueTask<bool> DeliverSlowAsync(ReceivedMessage message, bool queued)
    {
        var token = _stopCts.Token;
        try
        {
            if (!queued)
            {
                // Over capacity by this one message: wait until the reader has made room for a batch (it signals when
                // the count drops to _inboxResumeCount), or the inbox was completed by a stop.
                while (Volatile.Read(ref _inboxCount) > _inboxResumeCount)
                {
                    await _inboxRoom.WaitAsync(token).ConfigureAwait(false);
                }

                if (!_inbox!.Writer.TryWrite(message))
                {
                    return false;
                }
            }

            if (MessageReceived is not null)
            {
                await _messageSlots.WaitAsync(token).ConfigureAwait(false);
                Post(new MessageReceivedEventArgs(message));
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The count (the waiting writer's message included) at which a writer waiting on a full inbox resumes: a batch
    /// below capacity, not one slot, so that a reader slower than the socket wakes the writer once per batch rather
    /// than once per message (with one wake-up and one wait per message, a full inbox cost a fifth of the throughput).
    /// </summary>
    private static int InboxResumeCountFor(int capacity) => capacity + 1 - Math.Clamp(capacity / 4, 1, MaxInboxBatch);

    /// <summary>The reader took a message from the inbox.</summary>
    private void InboxTaken()
    {
        // The count falls one by one from at most capacity + 1, so it passes the resume count exactly once per wait.
        if (Interlocked.Decrement(ref _inboxCount) == _inboxResumeCount)
        {
            _inboxRoom.Set(); // the writer is (or is about to be) waiting with one message over capacity
        }
    }

    private DisconnectInfo Classify(Connection conn, Exception ex)
    {
        // The runtime's keep-alive aborts the socket when no pong arrives within KeepAliveTimeout.
        if (_options.KeepAliveTimeout != Timeout.InfiniteTimeSpan && _options.KeepAliveInterval > TimeSpan.Zero && IsKeepAliveTimeout(ex))
        {
            return new DisconnectInfo(DisconnectReason.HeartbeatTimeout, Exception: ex);
        }

        return conn.Socket.CloseStatus is { } status
            ? new DisconnectInfo(DisconnectReason.ByServer, status, conn.Socket.CloseStatusDescription, ex)
            : new DisconnectInfo(DisconnectReason.Lost, Exception: ex);
    }

    private static bool IsKeepAliveTimeout(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException || e.Message.Contains("keep-alive", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("keepalive", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
