namespace Lifeline.Client;

/// <summary>Where an error happened.</summary>
public enum ErrorCategory
{
    /// <summary>A connect attempt failed, or the client gave up (<see cref="ClientFaultedException"/>).</summary>
    Connection,

    /// <summary>Receiving failed, or a message broke a limit.</summary>
    Receive,

    /// <summary>Writing a message to the socket failed.</summary>
    Send,

    /// <summary>Application code the client called (an event handler, <see cref="LifelineClientOptions.OnConnected"/>) threw.</summary>
    Handler,
}

/// <summary>Raised for every error the client handles itself; the client keeps running unless it says otherwise.</summary>
public sealed class ClientErrorEventArgs : EventArgs
{
    internal ClientErrorEventArgs(ErrorCategory category, Exception exception)
    {
        Category = category;
        Exception = exception;
    }

    /// <summary>Where it happened.</summary>
    public ErrorCategory Category { get; }

    /// <summary>The error.</summary>
    public Exception Exception { get; }
}
