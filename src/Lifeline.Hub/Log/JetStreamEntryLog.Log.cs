using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Log;

internal sealed partial class JetStreamEntryLog
{
    [LoggerMessage(EventId = 130, Level = LogLevel.Error, Message = "Appending {Count} publishes to the cluster's stream failed; they are answered with an error")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "The engine did not take append {MessageId} ({Reason}); trying again")]
    private static partial void LogAppendRetry(ILogger logger, string messageId, string reason);

    [LoggerMessage(EventId = 132, Level = LogLevel.Warning, Message = "The engine acked sequence {Sequence} but the mirror had not applied it by the deadline; answered")]
    private static partial void LogAnsweredBeforeApply(ILogger logger, long sequence);

    [LoggerMessage(EventId = 133, Level = LogLevel.Warning, Message = "Reading the cluster's stream failed after sequence {Applied}; reconnecting")]
    private static partial void LogConsumerFailed(ILogger logger, Exception exception, long applied);

    [LoggerMessage(EventId = 134, Level = LogLevel.Warning, Message = "Stream message {Sequence} was not appended by a hub; skipped")]
    private static partial void LogForeignMessage(ILogger logger, long sequence);

    [LoggerMessage(EventId = 135, Level = LogLevel.Error, Message = "Stream message {Sequence} is not a readable batch; skipped")]
    private static partial void LogUnreadableBatch(ILogger logger, Exception exception, long sequence);

    [LoggerMessage(EventId = 136, Level = LogLevel.Information, Message = "The mirror jumps from id {LastId} to {FirstId}: the stream no longer retains the ids between")]
    private static partial void LogMirrorJump(ILogger logger, long lastId, long firstId);

    [LoggerMessage(EventId = 137, Level = LogLevel.Warning, Message = "Stream {Stream} exists with another configuration ({Replicas} replicas); used as it is")]
    private static partial void LogStreamConfigDiffers(ILogger logger, string stream, int replicas);

    [LoggerMessage(EventId = 138, Level = LogLevel.Debug, Message = "Asking the engine for the stream's state failed: {Reason}")]
    private static partial void LogStatusFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 139, Level = LogLevel.Information, Message = "The mirror follows the stream's retention: ids {FromId}..{ToId} deleted")]
    private static partial void LogRetention(ILogger logger, long fromId, long toId);
}
