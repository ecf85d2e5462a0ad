using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Core;

internal sealed partial class LogHub
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Lifeline hub started: {Store} store, ids {OldestId}..{LastId}")]
    private static partial void LogStarted(ILogger logger, HubStoreKind store, long oldestId, long lastId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Lifeline hub draining: closing {Connections} connections with 1001")]
    private static partial void LogDraining(ILogger logger, int connections);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Lifeline hub shutdown deadline passed with {Inflight} requests still in flight")]
    private static partial void LogDrainTimeout(ILogger logger, int inflight);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Lifeline hub stopped at id {LastId}")]
    private static partial void LogStopped(ILogger logger, long lastId);
}
