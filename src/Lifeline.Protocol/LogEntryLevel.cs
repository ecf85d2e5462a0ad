namespace Lifeline.Protocol;

/// <summary>Severity of a log entry, ordered from least to most severe.</summary>
public enum LogEntryLevel
{
    /// <summary>Most detailed diagnostics.</summary>
    Trace = 0,

    /// <summary>Debugging information.</summary>
    Debug = 1,

    /// <summary>Normal operation.</summary>
    Information = 2,

    /// <summary>Something unexpected that the application survived.</summary>
    Warning = 3,

    /// <summary>A failure of the current operation.</summary>
    Error = 4,

    /// <summary>A failure that needs immediate attention.</summary>
    Critical = 5,
}
