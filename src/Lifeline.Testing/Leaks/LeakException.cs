namespace Lifeline.Testing.Leaks;

/// <summary>Thrown when a scope or test ends with asynchronous work it started still running.</summary>
public sealed class LeakException : Exception
{
    /// <summary>Creates the exception for a report.</summary>
    public LeakException(LeakReport report)
        : base(report?.ToString())
    {
        Report = report ?? throw new ArgumentNullException(nameof(report));
    }

    /// <summary>Creates an exception with a message only.</summary>
    public LeakException(string message)
        : base(message)
    {
        Report = new LeakReport("?", []);
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public LeakException(string message, Exception innerException)
        : base(message, innerException)
    {
        Report = new LeakReport("?", []);
    }

    /// <summary>Creates an exception with no message.</summary>
    public LeakException()
        : this("leaked operations")
    {
    }

    /// <summary>What was found.</summary>
    public LeakReport Report { get; }
}
