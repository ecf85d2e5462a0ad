using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Log;

internal sealed partial class LocalEntryLog
{
    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Appending {Count} entries to the store failed; the ingests are answered with an error")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Retention deleted ids {FromId}..{ToId}")]
    private static partial void LogRetention(ILogger logger, long fromId, long toId);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Retention failed")]
    private static partial void LogRetentionFailed(ILogger logger, Exception exception);
}
