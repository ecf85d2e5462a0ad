namespace Lifeline.Client;

/// <summary>Raised when the client starts waiting before its next connect attempt.</summary>
public sealed class ReconnectingEventArgs : EventArgs
{
    internal ReconnectingEventArgs(int attempt, TimeSpan delay, Exception? exception)
    {
        Attempt = attempt;
        Delay = delay;
        Exception = exception;
    }

    /// <summary>The retry number (1 for the first retry since the last connection or since start).</summary>
    public int Attempt { get; }

    /// <summary>How long it waits before the attempt (<see cref="LifelineClient.ReconnectNow"/> cuts it short).</summary>
    public TimeSpan Delay { get; }

    /// <summary>Why the previous attempt failed or the connection ended, if an error says so.</summary>
    public Exception? Exception { get; }
}
