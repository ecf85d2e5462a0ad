namespace Lifeline.Protocol;

/// <summary>Input that does not follow docs/protocol.md: carries the protocol's error code and, for a batch, the entry index.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errorCode">One of <see cref="ErrorCodes"/>.</param>
    /// <param name="message">What is wrong, for people.</param>
    /// <param name="index">The index of the first bad entry in a batch, if the error is about one entry.</param>
    public ProtocolException(string errorCode, string message, int? index = null)
        : base(message)
    {
        ErrorCode = errorCode;
        Index = index;
    }

    /// <summary>Creates an <see cref="ErrorCodes.InvalidJson"/> exception.</summary>
    public ProtocolException()
        : this(ErrorCodes.InvalidJson, "invalid message")
    {
    }

    /// <summary>Creates an <see cref="ErrorCodes.InvalidJson"/> exception.</summary>
    public ProtocolException(string message)
        : this(ErrorCodes.InvalidJson, message)
    {
    }

    /// <summary>Creates an <see cref="ErrorCodes.InvalidJson"/> exception wrapping a JSON reader failure.</summary>
    public ProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorCode = ErrorCodes.InvalidJson;
    }

    /// <summary>One of <see cref="ErrorCodes"/>.</summary>
    public string ErrorCode { get; } = ErrorCodes.InvalidJson;

    /// <summary>The index of the first bad entry in a batch, or <see langword="null"/>.</summary>
    public int? Index { get; }

    /// <summary>Returns a copy with <see cref="Index"/> set and the message prefixed with "entry N: ".</summary>
    public ProtocolException AtIndex(int index) => new(ErrorCode, $"entry {index}: {Message}", index);
}
