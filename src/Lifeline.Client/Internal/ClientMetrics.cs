using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Lifeline.Client.Internal;

/// <summary>
/// The client's counters. The hot paths only do an interlocked add on a field; the <c>Lifeline.Client</c> meter's
/// instruments (<see cref="ClientInstruments"/>) are all observable and read these fields when a listener collects, so
/// an unobserved client pays nothing more. The instruments hold this object until <see cref="Dispose"/>, so nothing
/// here references the client itself: an abandoned client stays collectible (its tracker disposes the metrics).
/// </summary>
internal sealed class ClientMetrics : IDisposable
{
    public const string MeterName = "Lifeline.Client";

    private readonly Meter? _meter; // null when the host's meter factory owns the meter
    private readonly ClientInstruments _instruments;
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

    public ClientMetrics(string name, IMeterFactory? meterFactory)
    {
        Tag = new KeyValuePair<string, object?>("lifeline.client.name", name);
        if (meterFactory is null)
        {
            _meter = new Meter(MeterName, Version);
            _instruments = ClientInstruments.Create(_meter);
        }
        else
        {
            // The host's meter, shared by its clients: instruments are created once for it, each client a tagged series.
            _instruments = ClientInstruments.Shared(meterFactory);
        }

        _instruments.Add(this);
    }

    public static string? Version { get; } = typeof(ClientMetrics).Assembly.GetName().Version?.ToString();

    /// <summary>The tag of this client's series (its name).</summary>
    public KeyValuePair<string, object?> Tag { get; }

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

    /// <summary>Ends this client's series; an own meter (no meter factory) is disposed with it.</summary>
    public void Dispose()
    {
        _instruments.Remove(this);
        _meter?.Dispose();
    }

    private static long Read(ref long field) => Interlocked.Read(ref field);
}
