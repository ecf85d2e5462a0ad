using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Auth;

internal sealed partial class ClusterRevocations
{
    [LoggerMessage(EventId = 120, Level = LogLevel.Information, Message = "Cluster revocations loaded: {Count} key ids revoked cluster-wide")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "Cluster revocations: watching the bucket failed; retrying in {DelayMs} ms")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception, double delayMs);

    [LoggerMessage(EventId = 122, Level = LogLevel.Warning, Message = "Cluster revocations: sharing the revocation of key {Id} failed; retrying in {DelayMs} ms")]
    private static partial void LogShareFailed(ILogger logger, Exception exception, string id, double delayMs);

    [LoggerMessage(EventId = 123, Level = LogLevel.Information, Message = "Cluster revocations: the revocation of key {Id} is in the cluster's bucket; every node applies it")]
    private static partial void LogShared(ILogger logger, string id);
}
