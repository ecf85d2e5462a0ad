using System.Net;
using System.Net.WebSockets;
using Lifeline.Client.Internal;

namespace Lifeline.Client;

// The supervisor: one loop per client that connects, runs a connection, tears it down and waits out backoff.
// Invariant: it is the only code that connects, so there is never more than one connect attempt or backoff wait,
// and a connection is fully torn down (every loop awaited) before the next attempt starts.
public sealed partial class LifelineClient
{
    private enum WaitOutcome
    {
        Elapsed,
        Woken,
        Stopped,
    }

    private async Task RunAsync()
    {
        var stopToken = _stopCts.Token;
        var retry = 0;
        var attempts = 0;
        long epoch = 0;
        var lastConnectedAt = _time.GetTimestamp();
        try
        {
            while (!stopToken.IsCancellationRequested)
            {
                attempts++;
                SetState(ClientState.Connecting);
                var (connection, failure, httpStatus) = await ConnectAsync(epoch + 1, attempts, stopToken).ConfigureAwait(false);
                DisconnectInfo? ended = null;
                if (connection is not null)
                {
                    epoch++;
                    (ended, var reachedConnected) = await RunConnectionAsync(connection, attempts, stopToken).ConfigureAwait(false);
                    if (ended is null)
                    {
                        return; // stopped by the user; the teardown has reported it
                    }

                    if (reachedConnected)
                    {
                        retry = 0;
                        attempts = 0;
                        lastConnectedAt = _time.GetTimestamp();
                    }

                    var fatal = FatalClose(ended);
                    var disconnected = new DisconnectedEventArgs(epoch, ended.Reason, ended.CloseStatus, ended.CloseDescription, ended.Exception, willReconnect: fatal is null);
                    Log.Disconnected(_logger, _name, epoch, disconnected, fatal is null);
                    if (fatal is not null)
                    {
                        EnterFault(fatal); // first, so a Disconnected handler already sees Faulted
                        Post(disconnected);
                        return;
                    }

                    Post(disconnected);
                }
                else
                {
                    if (stopToken.IsCancellationRequested)
                    {
                        return;
                    }

                    ReportError(ErrorCategory.Connection, failure!);
                    if (httpStatus is 401 or 403)
                    {
                        EnterFault(new ClientFaultedException($"The server rejected the handshake with HTTP {httpStatus}; not retrying.", httpStatus, null, null, failure));
                        return;
                    }
                }

                retry++;
                var delay = NextDelay(retry, ended, failure ?? ended?.Exception, lastConnectedAt);
                if (delay is null)
                {
                    return; // NextDelay entered the fault
                }

                switch (await WaitBeforeRetryAsync(retry, delay.Value, failure ?? ended?.Exception, stopToken).ConfigureAwait(false))
                {
                    case WaitOutcome.Stopped:
                        return;
                    case WaitOutcome.Woken:
                        retry = 0;
                        break;
                }
            }
        }
        catch (Exception ex)
        {
            // Unreachable by design (every step handles its own errors); if it happens, fail loudly rather than hang.
            EnterFault(new ClientFaultedException("The client's supervisor loop failed unexpectedly.", ex));
        }
    }

    private async Task<(Connection? Connection, Exception? Failure, int? HttpStatus)> ConnectAsync(long epoch, int attempt, CancellationToken stopToken)
    {
        ClientWebSocket? socket = null;
        Uri? uri = null;
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopToken, timeout.Token);
        _metrics.ConnectionAttempt();
        try
        {
            uri = _options.UriProvider?.Invoke() ?? _options.Uri!;
            if (!LifelineClientOptions.IsWebSocketUri(uri))
            {
                throw new ArgumentException($"The URI must be an absolute ws:// or wss:// URI; was '{uri}'.");
            }

            socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
            socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
            _options.ConfigureWebSocket?.Invoke(socket.Options);
            Log.Connecting(_logger, _name, uri, attempt);
            var started = _time.GetTimestamp();
            await socket.ConnectAsync(uri, linked.Token).ConfigureAwait(false);
            var roundTrip = _time.GetElapsedTime(started);
            _metrics.Connected(roundTrip);
            return (new Connection(socket, epoch, uri, _time.GetTimestamp(), stopToken), null, null);
        }
        catch (Exception ex)
        {
            int? status = socket is { HttpStatusCode: > 0 and var code } ? (int)code : null;
            socket?.Dispose();
            if (stopToken.IsCancellationRequested)
            {
                AbandonedByStop($"connect attempt {attempt} to {uri}");
                return (null, ex, status);
            }

            var failure = timeout.IsCancellationRequested
                ? new TimeoutException($"Connecting to {uri} timed out after {_options.ConnectTimeout}.", ex)
                : status is { } s && s != (int)HttpStatusCode.SwitchingProtocols
                    ? new WebSocketException(WebSocketError.NotAWebSocket, $"The server answered the handshake with HTTP {s}.", ex)
                    : ex;
            Log.ConnectFailed(_logger, _name, attempt, failure);
            return (null, failure, status);
        }
    }

    private TimeSpan? NextDelay(int retry, DisconnectInfo? ended, Exception? error, long lastConnectedAt)
    {
        var reconnect = _options.Reconnect;
        if (reconnect.MaxAttempts is { } max && retry > max)
        {
            EnterFault(new ClientFaultedException($"Gave up after {max} reconnect attempts.", error));
            return null;
        }

        var defaultDelay = reconnect.GetBackoffDelay(retry);
        if (reconnect.Policy is not { } policy)
        {
            return defaultDelay;
        }

        TimeSpan? chosen;
        try
        {
            chosen = policy(new ReconnectContext(retry, defaultDelay, _time.GetElapsedTime(lastConnectedAt), ended?.Reason, ended?.CloseStatus, ended?.CloseDescription, error));
        }
        catch (Exception ex)
        {
            Log.PolicyThrew(_logger, _name, ex);
            chosen = null;
        }

        if (chosen is null || chosen < TimeSpan.Zero)
        {
            EnterFault(new ClientFaultedException($"The reconnect policy stopped reconnecting at attempt {retry}.", error));
            return null;
        }

        return chosen;
    }

    private async Task<WaitOutcome> WaitBeforeRetryAsync(int retry, TimeSpan delay, Exception? error, CancellationToken stopToken)
    {
        var wake = NewSignal();
        lock (_gate)
        {
            _wake = wake;
        }

        // The delay is armed before the event is raised, so whoever reacts to the event finds the timer in place.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stopToken);
        var wait = Task.Delay(delay, _time, cts.Token);
        SetState(ClientState.Reconnecting);
        Log.Reconnecting(_logger, _name, retry, delay);
        Post(new ReconnectingEventArgs(retry, delay, error));
        var first = await Task.WhenAny(wait, wake.Task).ConfigureAwait(false);
        await cts.CancelAsync().ConfigureAwait(false);
        await wait.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_gate)
        {
            _wake = null;
        }

        if (stopToken.IsCancellationRequested)
        {
            AbandonedByStop($"backoff wait before reconnect attempt {retry}");
            return WaitOutcome.Stopped;
        }

        return first == wake.Task ? WaitOutcome.Woken : WaitOutcome.Elapsed;
    }

    private ClientFaultedException? FatalClose(DisconnectInfo ended)
    {
        if (ended.Reason != DisconnectReason.ByServer)
        {
            return null;
        }

        var code = (int?)ended.CloseStatus;
        var fatal = code is 1008 or (>= 4400 and <= 4499);
        if (!fatal && _options.IsFatalClose is { } rule)
        {
            try
            {
                fatal = rule(ended.CloseStatus, ended.CloseDescription);
            }
            catch (Exception ex)
            {
                ReportError(ErrorCategory.Handler, ex);
            }
        }

        return fatal
            ? new ClientFaultedException($"The server closed the connection with {code} '{ended.CloseDescription}'; not retrying.", null, ended.CloseStatus, ended.CloseDescription, ended.Exception)
            : null;
    }

    private void EnterFault(ClientFaultedException fault)
    {
        Log.Faulted(_logger, _name, fault.Message, fault.InnerException);
        TaskCompletionSource connected;
        lock (_gate)
        {
            _fault = fault;
            connected = _connected;
            SetState(ClientState.Faulted);
        }

        connected.TrySetException(fault);
        _sendBuffer.Close($"client faulted: {fault.Message}");
        _inbox?.Writer.TryComplete();
        ReportError(ErrorCategory.Connection, fault);
    }
}
