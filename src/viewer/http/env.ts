// What the viewer's middleware tells the routes about a request, through Hono's context.
export interface ViewerEnv {
  Variables: {
    /** The request presented the server's token (Authorization: Bearer, or the cookie the token link set). */
    authenticated: boolean;
    /** The answer is one of the page's static files, which get the page's Content-Security-Policy. */
    staticFile: boolean;
  };
}
