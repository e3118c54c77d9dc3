#!/usr/bin/env node
/**
 * The container's health check: `GET {prefix}/health` on the local port, with the port, prefix and TLS read
 * from the same settings as the server (environment and config file), so a prefix or TLS keeps it true.
 * Exit 0 when healthy, 1 otherwise (also when the settings are invalid: the server would not run either).
 */
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { loadConfig } from '../config/load.js'

function check (): Promise<boolean> {
  const config = loadConfig(process.argv.slice(2), process.env)
  const tls = config.tls !== undefined
  const request = tls ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port: config.port,
      path: `${config.options.prefix}/health`,
      timeout: 2500,
      // The certificate names the public host, not 127.0.0.1: only liveness is checked here.
      ...(tls ? { rejectUnauthorized: false } : {})
    }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => { req.destroy() })
    req.on('error', () => { resolve(false) })
    req.end()
  })
}

check().then((ok) => { process.exit(ok ? 0 : 1) }, () => { process.exit(1) })
