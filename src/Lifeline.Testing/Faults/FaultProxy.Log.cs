using System.Net;
using Microsoft.Extensions.Logging;

namespace Lifeline.Testing.Faults;

public sealed partial class FaultProxy
{
    internal static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Fault proxy listening on {EndPoint}, forwarding to {Upstream}")]
        public static partial void Listening(ILogger logger, EndPoint endPoint, EndPoint upstream);

        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Fault proxy stopped listening on {EndPoint}")]
        public static partial void StoppedListening(ILogger logger, EndPoint endPoint);

        [LoggerMessage(EventId = 3, Level = LogLevel.Trace, Message = "Connection from {Client} forwarding to {Upstream}")]
        public static partial void Forwarding(ILogger logger, EndPoint? client, EndPoint upstream);

        [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Connection from {Client} reset: upstream {Upstream} unreachable")]
        public static partial void UpstreamUnreachable(ILogger logger, EndPoint? client, EndPoint upstream, Exception exception);

        [LoggerMessage(EventId = 5, Level = LogLevel.Trace, Message = "Connection from {Client} ended")]
        public static partial void ConnectionEnded(ILogger logger, EndPoint? client);

        [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "New connection refused ({Mode})")]
        public static partial void Refused(ILogger logger, RefusalMode mode);

        [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Fault: cutting {Count} connection(s) ({Mode})")]
        public static partial void Cutting(ILogger logger, int count, CutMode mode);

        [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Fault: half-open {Direction}")]
        public static partial void HalfOpenSet(ILogger logger, Direction direction);

        [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Fault: latency {Direction} {Latency}")]
        public static partial void LatencySet(ILogger logger, Direction direction, TimeSpan latency);

        [LoggerMessage(EventId = 14, Level = LogLevel.Information, Message = "Fault: bandwidth {Direction} {BytesPerSecond} bytes/s (0 = unlimited)")]
        public static partial void BandwidthSet(ILogger logger, Direction direction, int bytesPerSecond);

        [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "Fault: healed")]
        public static partial void Healed(ILogger logger);

        [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Fault proxy stopping")]
        public static partial void Stopping(ILogger logger);

        [LoggerMessage(EventId = 11, Level = LogLevel.Trace, Message = "Connection from {Client}: pump {Direction} ended with an error")]
        public static partial void PumpFailed(ILogger logger, EndPoint? client, Direction direction, Exception exception);

        [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Fault: refusal mode {Mode}")]
        public static partial void RefusalSet(ILogger logger, RefusalMode mode);
    }
}
