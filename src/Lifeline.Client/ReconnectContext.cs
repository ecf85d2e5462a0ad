using System.Net.WebSockets;

namespace Lifeline.Client;

/// <summary>What a <see cref="ReconnectOptions.Policy"/> knows when it decides the next retry.</summary>
public sealed class ReconnectContext
{
    internal ReconnectContext(int attempt, TimeSpan defaultDelay, TimeSpan sinceLastConnected, DisconnectReason? reason, WebSocketCloseStatus? closeStatus, string? closeDescription, Exception? exception)
    {
        Attempt = attempt;
        DefaultDelay = defaultDelay;
        SinceLastConnected = sinceLastConnected;
        Reason = reason;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
        Exception = exception;
    }

    /// <summary>The retry number: 1 for the first retry after a connection ended or the first connect failed.</summary>
    public int Attempt { get; }

    /// <summary>The jittered exponential delay the client would use without a policy.</summary>
    public TimeSpan DefaultDelay { get; }

    /// <summary>Time since the last successful connection ended (or since start, if there was none).</summary>
    public TimeSpan SinceLastConnected { get; }

    /// <summary>Why the last connection ended; <see langword="null"/> when a connect attempt failed.</summary>
    public DisconnectReason? Reason { get; }

    /// <summary>The server's close status, if it closed the connection.</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>The server's close description (for the Lifeline hub, JSON with <c>resumeAfter</c>/<c>retryAfterMs</c>).</summary>
    public string? CloseDescription { get; }

    /// <summary>The error of the failed attempt or lost connection, if any.</summary>
    public Exception? Exception { get; }
}
