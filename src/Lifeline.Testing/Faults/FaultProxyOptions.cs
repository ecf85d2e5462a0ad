using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lifeline.Testing.Faults;

/// <summary>Options of a <see cref="FaultProxy"/>. Validated by <see cref="FaultProxy.StartAsync"/>; not read again after start.</summary>
public sealed class FaultProxyOptions
{
    /// <summary>Where the proxy listens.</summary>
    /// <value>Default 127.0.0.1 port 0 (a free port, read it from <see cref="FaultProxy.EndPoint"/>). Must be a loopback address.</value>
    public IPEndPoint ListenEndPoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The clock used for latency and bandwidth delays; a <c>ManualTimeProvider</c> makes them deterministic.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the proxy logs connections, faults and shutdown (category <c>Lifeline.Testing.Faults.FaultProxy</c>).</summary>
    /// <value>Default <see cref="NullLoggerFactory.Instance"/> (no logging).</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Size of each pump's read buffer, the largest chunk forwarded at once.</summary>
    /// <value>Default 16384 bytes. Must be between 1 and 1048576.</value>
    public int BufferSize { get; set; } = 16 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (ListenEndPoint is null || !IPAddress.IsLoopback(ListenEndPoint.Address))
        {
            throw new ArgumentException("ListenEndPoint must be a loopback address (127.0.0.1 or ::1).", nameof(ListenEndPoint));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("TimeProvider must not be null.", nameof(TimeProvider));
        }

        if (LoggerFactory is null)
        {
            throw new ArgumentException("LoggerFactory must not be null.", nameof(LoggerFactory));
        }

        if (BufferSize is < 1 or > 1024 * 1024)
        {
            throw new ArgumentException($"BufferSize must be between 1 and 1048576; was {BufferSize}.", nameof(BufferSize));
        }
    }

    internal FaultProxyOptions Clone() => (FaultProxyOptions)MemberwiseClone();
}
