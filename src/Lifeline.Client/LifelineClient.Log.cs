using Microsoft.Extensions.Logging;

namespace Lifeline.Client;

public sealed partial class LifelineClient
{
    internal static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{Name}: connecting to {Uri} (attempt {Attempt})")]
        public static partial void Connecting(ILogger logger, string name, Uri uri, int attempt);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "{Name}: connected to {Uri} (connection {Epoch})")]
        public static partial void Connected(ILogger logger, string name, Uri uri, long epoch);

        [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "{Name}: connect attempt {Attempt} failed")]
        public static partial void ConnectFailed(ILogger logger, string name, int attempt, Exception exception);

        [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "{Name}: connection {Epoch} ended: {Reason}; will reconnect: {WillReconnect}")]
        public static partial void Disconnected(ILogger logger, string name, long epoch, DisconnectedEventArgs reason, bool willReconnect);

        [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Name}: reconnect attempt {Attempt} in {Delay}")]
        public static partial void Reconnecting(ILogger logger, string name, int attempt, TimeSpan delay);

        [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "{Name}: gave up reconnecting: {Message}")]
        public static partial void Faulted(ILogger logger, string name, string message, Exception? exception);

        [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "{Name}: a {Handler} handler threw; the client goes on")]
        public static partial void HandlerFailed(ILogger logger, string name, string handler, Exception exception);

        [LoggerMessage(EventId = 8, Level = LogLevel.Debug, Message = "{Name}: ignored a late close event of connection {Epoch} ({Reason}) while on connection {Current}")]
        public static partial void StaleCloseIgnored(ILogger logger, string name, long epoch, DisconnectReason reason, long current);

        [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "{Name}: stopping from state {State}")]
        public static partial void Stopping(ILogger logger, string name, ClientState state);

        [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "{Name}: stopped ({Report})")]
        public static partial void Stopped(ILogger logger, string name, StopReport report);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "{Name}: stop abandoned: {Work}")]
        public static partial void StopAbandoned(ILogger logger, string name, string work);

        [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "{Name}: a LifelineClient was garbage-collected without StopAsync/DisposeAsync; it was created at {CreationSite}")]
        public static partial void CollectedWithoutStop(ILogger logger, string name, string creationSite);

        [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "{Name}: send failed on connection {Epoch}")]
        public static partial void SendFailed(ILogger logger, string name, long epoch, Exception exception);

        [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "{Name}: receive failed on connection {Epoch}")]
        public static partial void ReceiveFailed(ILogger logger, string name, long epoch, Exception exception);

        [LoggerMessage(EventId = 15, Level = LogLevel.Error, Message = "{Name}: the reconnect policy threw; treated as 'stop'")]
        public static partial void PolicyThrew(ILogger logger, string name, Exception exception);

        [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "{Name}: no message for {Timeout} on connection {Epoch}: replacing it")]
        public static partial void InactivityTimeout(ILogger logger, string name, long epoch, TimeSpan timeout);

        [LoggerMessage(EventId = 17, Level = LogLevel.Debug, Message = "{Name}: close handshake of connection {Epoch} did not complete")]
        public static partial void CloseFailed(ILogger logger, string name, long epoch, Exception exception);
    }
}
