using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lifeline.Client.Internal;

/// <summary>
/// The client's counters. The hot paths only do an interlocked add on a field; the <c>Lifeline.Client</c> meter's
/// instruments are all observable and read these fields when a listener collects, so an unobserved client pays nothing more.
/// The meter is registered process-wide until disposed, so nothing here references the client itself: an abandoned
/// client stays collectible (its tracker disposes the meter).
/// </summary>
internal sealed class ClientMetrics : IDisposable
{
    public const string MeterName = "Lifeline.Client";

    private readonly Meter _meter;
    private int _state;
    private long _connectionAttempts;
    private long _connections;
    private long _errors;
    private long _messagesReceived;
    private long _bytesReceived;
    private long _messagesSent;
    private long _bytesSent;
    private long _sendsDropped;
    private long _sendsExpired;
    private long _sendsFailed;
    private long _roundTripTicks = -1;

    public ClientMetrics(string name)
    {
        _meter = new Meter(MeterName, typeof(ClientMetrics).Assembly.GetName().Version?.ToString());
        var tag = new KeyValuePair<string, object?>("lifeline.client.name", name);
        _meter.CreateObservableCounter("lifeline.client.connection_attempts", () => new Measurement<long>(Read(ref _connectionAttempts), tag), "{attempt}", "Connect attempts, successful or not.");
        _meter.CreateObservableCounter("lifeline.client.connections", () => new Measurement<long>(Read(ref _connections), tag), "{connection}", "Successful connections.");
        _meter.CreateObservableCounter("lifeline.client.reconnects", () => new Measurement<long>(Math.Max(0, Read(ref _connections) - 1), tag), "{connection}", "Successful connections after the first.");
        _meter.CreateObservableCounter("lifeline.client.errors", () => new Measurement<long>(Read(ref _errors), tag), "{error}", "Errors reported through the Error event.");
        _meter.CreateObservableCounter("lifeline.client.messages_received", () => new Measurement<long>(Read(ref _messagesReceived), tag), "{message}", "Messages received.");
        _meter.CreateObservableCounter("lifeline.client.bytes_received", () => new Measurement<long>(Read(ref _bytesReceived), tag), "By", "Message bytes received.");
        _meter.CreateObservableCounter("lifeline.client.messages_sent", () => new Measurement<long>(Read(ref _messagesSent), tag), "{message}", "Messages written to the socket.");
        _meter.CreateObservableCounter("lifeline.client.bytes_sent", () => new Measurement<long>(Read(ref _bytesSent), tag), "By", "Message bytes written to the socket.");
        _meter.CreateObservableCounter("lifeline.client.send_drops", () => new[]
        {
            new Measurement<long>(Read(ref _sendsDropped), tag, new("reason", "overflow")),
            new Measurement<long>(Read(ref _sendsExpired), tag, new("reason", "expired")),
            new Measurement<long>(Read(ref _sendsFailed), tag, new("reason", "failed")),
        }, "{message}", "Messages not sent, by reason.");
        _meter.CreateObservableGauge("lifeline.client.state", () => new Measurement<int>(Volatile.Read(ref _state), tag), null, "ClientState as a number (0 Stopped, 1 Connecting, 2 Connected, 3 Reconnecting, 4 Stopping, 5 Faulted).");
        _meter.CreateObservableGauge("lifeline.client.buffered_sends", () => new Measurement<int>(Buffer?.Count ?? 0, tag), "{message}", "Messages waiting in the send buffer.");
        _meter.CreateObservableGauge("lifeline.client.round_trip_time", ReadRoundTrip, "s", "Handshake round-trip time of the last connect.");

        IEnumerable<Measurement<double>> ReadRoundTrip()
        {
            var ticks = Read(ref _roundTripTicks);
            return ticks < 0 ? [] : [new Measurement<double>(TimeSpan.FromTicks(ticks).TotalSeconds, tag)];
        }
    }

    /// <summary>The send buffer, read for the buffered-sends gauge.</summary>
    public SendBuffer? Buffer { get; set; }

    public ClientState State
    {
        get => (ClientState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    public void ConnectionAttempt() => Interlocked.Increment(ref _connectionAttempts);

    public void Connected(TimeSpan roundTrip)
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Exchange(ref _roundTripTicks, roundTrip.Ticks);
    }

    public void Error() => Interlocked.Increment(ref _errors);

    public void Received(int bytes)
    {
        Interlocked.Increment(ref _messagesReceived);
        Interlocked.Add(ref _bytesReceived, bytes);
    }

    public void Sent(int bytes)
    {
        Interlocked.Increment(ref _messagesSent);
        Interlocked.Add(ref _bytesSent, bytes);
    }

    public void NotSent(SendStatus status)
    {
        switch (status)
        {
            case SendStatus.Dropped:
                Interlocked.Increment(ref _sendsDropped);
                break;
            case SendStatus.Expired:
                Interlocked.Increment(ref _sendsExpired);
                break;
            case SendStatus.Failed:
                Interlocked.Increment(ref _sendsFailed);
                break;
            default:
                Debug.Fail($"not a drop: {status}");
                break;
        }
    }

    public ClientMetricsSnapshot Snapshot()
    {
        var connections = Read(ref _connections);
        var rtt = Read(ref _roundTripTicks);
        return new ClientMetricsSnapshot
        {
            State = State,
            ConnectionAttempts = Read(ref _connectionAttempts),
            Connections = connections,
            Reconnects = Math.Max(0, connections - 1),
            Errors = Read(ref _errors),
            MessagesReceived = Read(ref _messagesReceived),
            BytesReceived = Read(ref _bytesReceived),
            MessagesSent = Read(ref _messagesSent),
            BytesSent = Read(ref _bytesSent),
            BufferedSends = Buffer?.Count ?? 0,
            SendsDropped = Read(ref _sendsDropped),
            SendsExpired = Read(ref _sendsExpired),
            SendsFailed = Read(ref _sendsFailed),
            LastRoundTripTime = rtt < 0 ? null : TimeSpan.FromTicks(rtt),
        };
    }

    public void Dispose() => _meter.Dispose();

    private static long Read(ref long field) => Interlocked.Read(ref field);
}
