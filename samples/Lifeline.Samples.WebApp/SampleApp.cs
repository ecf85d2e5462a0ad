using Lifeline.Extensions.Logging;

namespace Lifeline.Samples.WebApp;

/// <summary>
/// An order API that logs to a Lifeline hub. Configuration: <c>Lifeline:Url</c> (required) and <c>Lifeline:ApiKey</c>
/// (a key with the <c>write</c> scope), e.g. <c>dotnet run -- --Lifeline:Url=http://127.0.0.1:5000/ --Lifeline:ApiKey=...</c>.
/// </summary>
public static partial class SampleApp
{
    /// <summary>Builds the app; the caller runs it (<c>Program.cs</c>) or starts and stops it (the sample's test).</summary>
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);

        // The one line that ships this app's logs to the hub.
        builder.Logging.AddLifeline(o =>
        {
            o.Url = new Uri(builder.Configuration["Lifeline:Url"] ?? throw new InvalidOperationException("Set Lifeline:Url to the hub's address."));
            o.ApiKey = builder.Configuration["Lifeline:ApiKey"];
        });

        var app = builder.Build();
        app.MapPost("/orders/{id:int}", (int id, ILogger<Order> logger) =>
        {
            using (logger.BeginScope(new Dictionary<string, object?> { ["OrderId"] = id }))
            {
                OrderPlaced(logger, id, 42.5m);
                if (id < 0)
                {
                    return Results.BadRequest();
                }
            }

            return Results.Ok(new Order(id));
        });
        return app;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Order {Id} placed for {Amount} EUR")]
    private static partial void OrderPlaced(ILogger logger, int id, decimal amount);

    /// <summary>An order.</summary>
    /// <param name="Id">Its id.</param>
    public sealed record Order(int Id);
}
