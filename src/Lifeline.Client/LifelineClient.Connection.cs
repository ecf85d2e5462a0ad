using System.Net.WebSockets;
using Lifeline.Client.Internal;

namespace Lifeline.Client;

// One connection's life, run by the supervisor: start its loops, run OnConnected, go Connected, wait for the first
// close event of this epoch (or the stop), tear down, await every loop.
public sealed partial class LifelineClient
{
    private static readonly AsyncLocal<Connection?> s_onConnectedScope = new();
    private readonly List<string> _abandoned = [];
    private Connection? _current;
    private int _abandonedInFlight;
    private bool _closedGracefully;
    private bool _deadlineReached;

    private async Task<(DisconnectInfo? Ended, bool ReachedConnected)> RunConnectionAsync(Connection conn, int attempts, CancellationToken stopToken)
    {
        lock (_gate)
        {
            _current = conn;
        }

        conn.ReceiveLoop = ReceiveLoopAsync(conn);
        if (_options.InactivityTimeout is { } idle)
        {
            conn.Watchdog = WatchdogLoopAsync(conn, idle);
        }

        var reached = false;
        if (await RunOnConnectedAsync(conn, stopToken).ConfigureAwait(false) && !conn.Cts.IsCancellationRequested && !stopToken.IsCancellationRequested)
        {
            reached = true;
            TaskCompletionSource connected;
            lock (_gate)
            {
                if (!stopToken.IsCancellationRequested)
                {
                    SetState(ClientState.Connected); // never over a Stopping set by a concurrent stop
                }

                connected = _connected;
            }

            // Buffered sends flow only now, after OnConnected has finished (re-authenticated, re-subscribed).
            conn.SendPump = SendPumpAsync(conn);
            Log.Connected(_logger, _name, conn.Uri, conn.Epoch);
            Post(new ConnectedEventArgs(conn.Epoch, attempts, conn.Uri));
            connected.TrySetResult();
        }

        var ended = await WaitForEndAsync(conn, stopToken).ConfigureAwait(false);
        if (ended is null)
        {
            await CloseForStopAsync(conn).ConfigureAwait(false);
        }
        else
        {
            await TearDownAsync(conn, ended).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _current = null;
            if (_connected.Task.IsCompletedSuccessfully)
            {
                _connected = NewSignal();
            }
        }

        return (ended, reached);
    }

    private async Task<bool> RunOnConnectedAsync(Connection conn, CancellationToken stopToken)
    {
        if (_options.OnConnected is not { } hook)
        {
            return true;
        }

        // Sends made inside the hook (and whatever it awaits) go straight to this connection, ahead of the buffer.
        s_onConnectedScope.Value = conn;
        try
        {
            await hook(this, conn.Cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex)
        {
            if (!stopToken.IsCancellationRequested && !conn.Cts.IsCancellationRequested)
            {
                ReportError(ErrorCategory.Handler, ex);
                EndConnection(conn, new DisconnectInfo(DisconnectReason.Error, Exception: ex));
            }

            return false;
        }
    }

    /// <summary>Every loop that notices the end of a connection reports it here; the supervisor acts on the first
    /// report of the current epoch only. Later reports of the same connection (the receive loop failing after the
    /// watchdog aborted the socket, ...) stay in the queue and are discarded as stale.</summary>
    private void EndConnection(Connection conn, DisconnectInfo info)
    {
        _closeEvents.Writer.TryWrite(new ConnectionEnd(conn.Epoch, info));
        conn.CancelLoops();
    }

    private async Task<DisconnectInfo?> WaitForEndAsync(Connection conn, CancellationToken stopToken)
    {
        while (true)
        {
            ConnectionEnd end;
            try
            {
                end = await _closeEvents.Reader.ReadAsync(stopToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            // Regression guard (seed bug b): a close event of an earlier connection must not end this one, or one
            // outage would schedule a second reconnect.
            if (end.Epoch == conn.Epoch)
            {
                return end.Info;
            }

            Log.StaleCloseIgnored(_logger, _name, end.Epoch, end.Info.Reason, conn.Epoch);
        }
    }

    private async Task TearDownAsync(Connection conn, DisconnectInfo ended)
    {
        conn.CancelLoops();

        // Answer the server's close, or tell it why we end, so it sees a clean close rather than a reset.
        WebSocketCloseStatus? reply = ended.Reason switch
        {
            DisconnectReason.ByServer => ended.CloseStatus ?? WebSocketCloseStatus.NormalClosure,
            DisconnectReason.Error when ended.Exception is MessageTooLargeException => WebSocketCloseStatus.MessageTooBig,
            _ => null,
        };
        if (reply is { } status && conn.Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await TryCloseOutputAsync(conn, status, null).ConfigureAwait(false);
        }

        conn.Socket.Abort();
        await AwaitLoopsAsync(conn).ConfigureAwait(false);
    }

    private async Task CloseForStopAsync(Connection conn)
    {
        conn.CancelLoops();
        bool graceful;

        // The deadline aborts the socket on the thread that fires it, not after this method's continuation has been
        // scheduled: under load that wait is milliseconds, and the stalled write and the read only start failing then.
        var deadline = new DeadlineAbort(conn);
        using (var timeout = new CancellationTokenSource(_options.CloseTimeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(_hardStopCts.Token, timeout.Token))
        using (linked.Token.UnsafeRegister(static s => ((DeadlineAbort)s!).Fire(), deadline))
        {
            try
            {
                // Finish the message being written (not the rest of the buffer), then the close handshake.
                await conn.SendPump.WaitAsync(linked.Token).ConfigureAwait(false);
                if (conn.Socket.State == WebSocketState.Open)
                {
                    await TryCloseOutputAsync(conn, WebSocketCloseStatus.NormalClosure, linked.Token).ConfigureAwait(false);
                }

                await conn.ReceiveLoop.WaitAsync(linked.Token).ConfigureAwait(false);
                graceful = conn.Socket.State == WebSocketState.Closed;
            }
            catch (OperationCanceledException)
            {
                graceful = false;
            }

            // The deadline shows up as a cancellation, or (its abort having ended the loops first) as loops that ended
            // without a close handshake.
            if (!graceful && linked.IsCancellationRequested)
            {
                _deadlineReached = true;
                AbandonedByStop(!deadline.WasWriting
                    ? $"close handshake of connection {conn.Epoch}"
                    : $"a message being written on connection {conn.Epoch} (socket stalled)");
            }
        }

        _closedGracefully = graceful;
        conn.Socket.Abort();
        await AwaitLoopsAsync(conn).ConfigureAwait(false);
        var disconnected = new DisconnectedEventArgs(conn.Epoch, DisconnectReason.ByUser, null, null, null, willReconnect: false);
        Log.Disconnected(_logger, _name, conn.Epoch, disconnected, false);
        Post(disconnected);
    }

    private async Task TryCloseOutputAsync(Connection conn, WebSocketCloseStatus status, CancellationToken? token)
    {
        using var timeout = token is null ? new CancellationTokenSource(_options.CloseTimeout, _time) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_hardStopCts.Token, token ?? timeout!.Token);
        var locked = false;
        try
        {
            await conn.SendLock.WaitAsync(linked.Token).ConfigureAwait(false);
            locked = true;
            await conn.Socket.CloseOutputAsync(status, null, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException || (ex is OperationCanceledException && token is null))
        {
            Log.CloseFailed(_logger, _name, conn.Epoch, ex);
        }
        finally
        {
            if (locked)
            {
                conn.SendLock.Release();
            }
        }
    }

    private static async Task AwaitLoopsAsync(Connection conn)
    {
        // Every loop catches its own errors; after Abort each ends promptly. Awaited before the next connection exists.
        await conn.ReceiveLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await conn.SendPump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await conn.Watchdog.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        conn.Dispose();
    }

    private async Task WatchdogLoopAsync(Connection conn, TimeSpan timeout)
    {
        try
        {
            while (true)
            {
                var idle = _time.GetElapsedTime(conn.LastReceivedTimestamp);
                if (idle >= timeout)
                {
                    Log.InactivityTimeout(_logger, _name, conn.Epoch, timeout);
                    EndConnection(conn, new DisconnectInfo(DisconnectReason.HeartbeatTimeout, Exception: new TimeoutException($"No message for {timeout} (InactivityTimeout).")));
                    conn.Socket.Abort();
                    return;
                }

                await Task.Delay(timeout - idle, _time, conn.Cts.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The connection ended or the client is stopping.
        }
    }

    private void AbandonedByStop(string work)
    {
        lock (_abandoned)
        {
            _abandoned.Add(work);
        }
    }

    private async Task<StopReport> StopCoreAsync()
    {
        ClientState stateAtStop;
        lock (_gate)
        {
            stateAtStop = State;
            if (_started && stateAtStop != ClientState.Faulted)
            {
                SetState(ClientState.Stopping);
            }
        }

        Log.Stopping(_logger, _name, stateAtStop);
        await _stopCts.CancelAsync().ConfigureAwait(false);
        await _runLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var abandonedSends = _sendBuffer.Close("client stopped") + Volatile.Read(ref _abandonedInFlight);
        _inbox?.Writer.TryComplete();
        _closeEvents.Writer.TryComplete();
        TaskCompletionSource connected;
        lock (_gate)
        {
            SetState(ClientState.Stopped);
            connected = _connected;
            if (connected.Task.IsCompleted)
            {
                _connected = connected = NewSignal();
            }
        }

        connected.TrySetException(new ObjectDisposedException(nameof(LifelineClient), "The client was stopped."));
        _tracker.MarkStopped();
        _metrics.Dispose();
        string[] abandoned;
        lock (_abandoned)
        {
            abandoned = [.. _abandoned];
        }

        if (abandonedSends > 0)
        {
            abandoned = [.. abandoned, $"{abandonedSends} message(s) not sent"];
        }

        foreach (var work in abandoned)
        {
            Log.StopAbandoned(_logger, _name, work);
        }

        var report = new StopReport(stateAtStop, _closedGracefully, _deadlineReached, abandonedSends, abandoned);
        Log.Stopped(_logger, _name, report);
        return report;
    }

    /// <summary>Aborts a connection's socket when the stop deadline fires, remembering whether a message was being
    /// written then (the abort ends that write, so afterwards the send pump looks idle).</summary>
    private sealed class DeadlineAbort(Connection conn)
    {
        private int _fired; // 0 not yet, 1 fired with the pump idle, 2 fired mid-write

        public void Fire()
        {
            Volatile.Write(ref _fired, conn.SendPump.IsCompleted ? 1 : 2);
            conn.Socket.Abort();
        }

        /// <summary>Whether the deadline caught a message mid-write (asked after it fired, possibly before Fire ran:
        /// then nothing has aborted the socket yet and the pump's own state is still the truth).</summary>
        public bool WasWriting => Volatile.Read(ref _fired) switch
        {
            0 => !conn.SendPump.IsCompleted,
            var f => f == 2,
        };
    }
}
