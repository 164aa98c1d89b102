using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Backprop.Explore;

/// <summary>
/// The local server of <c>backprop explore</c>: Kestrel bound to a loopback address only (127.0.0.1 by default; port 0
/// takes a free port, read back after the start), answering only requests addressed to localhost, 127.0.0.1, [::1] or
/// the address it listens on (host filtering, against DNS rebinding), taking POSTs only as JSON from its own origin, and sending
/// <c>Content-Security-Policy: default-src 'self'</c> with every answer, so the page fetches nothing from elsewhere and
/// no other site can drive it. The routes are <see cref="ExploreApi"/>'s.
/// </summary>
public sealed class ExploreServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ExploreServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The page's address: http://127.0.0.1:PORT/, or the loopback address it listens on instead (http://127.0.0.2:PORT/, http://[::1]:PORT/).</summary>
    public Uri Url { get; }

    public int Port => Url.Port;

    /// <summary>
    /// Starts serving <paramref name="session"/> on <paramref name="host"/>:<paramref name="port"/>. A host that is not a
    /// loopback address, a port outside 0-65535 or a port in use is refused with a <see cref="BackpropException"/>.
    /// </summary>
    public static async Task<ExploreServer> StartAsync(ExploreSession session, int port = 0, string host = "127.0.0.1")
    {
        if (!IPAddress.TryParse(host == "localhost" ? "127.0.0.1" : host, out var address) || !IPAddress.IsLoopback(address))
            throw new BackpropException($"--host: '{host}' is not a loopback address; the explorer only listens on this machine (127.0.0.1 or another 127.x.y.z, ::1 or localhost), since anyone who reaches it can change the problem");
        if (port is < 0 or > 65535) throw new BackpropException($"--port: expected 0 (any free port) to 65535, got {port}");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ExploreServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        // The address as a URL's host names it: 127.0.0.2, or [::1].
        string urlHost = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        builder.Services.AddHostFiltering(o =>
        {
            o.AllowedHosts = new[] { "localhost", "127.0.0.1", "[::1]", urlHost }.Distinct().ToList();
            o.AllowEmptyHosts = false;
        });
        var app = builder.Build();
        app.UseHostFiltering();
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'";
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            if (HttpMethods.IsPost(context.Request.Method) && Refuse(context) is string why)
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new { error = why });
                return;
            }
            await next();
        });
        ExploreApi.Map(app, session);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            await app.DisposeAsync();
            throw new BackpropException($"--port: port {port} on {host} is in use; choose another with --port N, or --port 0 for any free port");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(bound);
        return new ExploreServer(app, new Uri($"http://{urlHost}:{uri.Port}/"));
    }

    // A POST must be JSON (so that a cross-site page cannot send it without a CORS preflight, which is never granted)
    // and, when a browser sends it, come from this server's own origin.
    private static string? Refuse(HttpContext context)
    {
        if (context.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return "POST requests must have Content-Type: application/json";
        string? origin = context.Request.Headers.Origin;
        if (origin is not null)
        {
            string own = $"{context.Request.Scheme}://{context.Request.Host}";
            if (!string.Equals(origin, own, StringComparison.OrdinalIgnoreCase))
                return $"origin '{origin}' is not this page's ({own})";
        }
        return null;
    }

    /// <summary>Runs until <paramref name="cancel"/> fires or the process is asked to stop (Ctrl+C, SIGTERM), then stops.</summary>
    public async Task WaitAsync(CancellationToken cancel)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, _app.Lifetime.ApplicationStopping);
        try { await Task.Delay(Timeout.Infinite, either.Token); }
        catch (OperationCanceledException) { }
        await _app.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
