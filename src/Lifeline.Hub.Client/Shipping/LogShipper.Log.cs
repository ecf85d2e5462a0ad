using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Client.Shipping;

internal sealed partial class LogShipper
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Publishing a batch of {Count} entries failed; retrying in {Delay}.")]
        public static partial void PublishFailed(ILogger logger, int count, TimeSpan delay, Exception exception);

        [LoggerMessage(2, LogLevel.Error, "The hub rejected an entry from source '{Source}' ({Error}); it is dropped.")]
        public static partial void EntryRejected(ILogger logger, string source, string error, Exception exception);

        [LoggerMessage(3, LogLevel.Warning, "{Dropped} entries were dropped while the hub was unreachable; a summary entry is being sent.")]
        public static partial void DroppedReported(ILogger logger, long dropped);

        [LoggerMessage(4, LogLevel.Error, "Shutdown deadline of {Deadline} passed with {Lost} entries unacknowledged; they are lost.")]
        public static partial void ShutdownDeadlinePassed(ILogger logger, TimeSpan deadline, long lost);
    }
}
