namespace Lifeline.Client;

/// <summary>A received message exceeded <see cref="LifelineClientOptions.MaxMessageBytes"/>; the client closed the connection with 1009 and reconnects.</summary>
public sealed class MessageTooLargeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MessageTooLargeException()
        : this("A received message exceeded MaxMessageBytes.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public MessageTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error behind it.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The error behind it.</param>
    public MessageTooLargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal MessageTooLargeException(int limit)
        : base($"A received message exceeded MaxMessageBytes ({limit} bytes).")
    {
        Limit = limit;
    }

    /// <summary>The limit that was exceeded, in bytes.</summary>
    public int Limit { get; }
}
