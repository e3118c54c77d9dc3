import Fastify, { type FastifyRequest } from 'fastify'
import { expect, test } from 'tstyche'
import broadcastt, {
  type AuthorizeOptions, type ChannelAuthorizationRequest, type ChannelAuthResponse, type UserAuthResponse
} from '../../src/index.js'

const apps = [{ id: 'a', key: 'k', secret: 's', encryptionMasterKey: 'x' }]

test('the callbacks receive the host\'s request and a typed subject', () => {
  const app = Fastify()
  expect(app.register(broadcastt, {
    apps,
    authorize: {
      channel: async (request, subject) => {
        expect(request).type.toBe<FastifyRequest>()
        expect(subject).type.toBe<ChannelAuthorizationRequest>()
        expect(subject.kind).type.toBe<'private' | 'presence' | 'encrypted'>()
        return subject.kind === 'presence' ? { user_id: '7', user_info: { name: 'Ann' } } : true
      },
      user: (_request, { socketId }) => ({ id: socketId, watchlist: ['9'] })
    }
  })).type.not.toRaiseError()
})

test('a wrong return shape does not compile', () => {
  const app = Fastify()
  expect(app.register).type.not.toBeCallableWith(broadcastt, { apps, authorize: { channel: async () => ({ id: '7' }) } })
  expect(app.register).type.not.toBeCallableWith(broadcastt, { apps, authorize: { user: async () => true } })
  expect(app.register).type.toBeCallableWith(broadcastt, { apps, authorize: { user: async () => ({ id: '7' }) } })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ channel: () => 'yes' })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ channel: () => ({ id: '7' }) })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ channel: async () => ({ user_info: {} }) })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ user: () => true })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ user: () => ({ user_id: '7' }) })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ user: async () => ({ id: 7 }) })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ user: () => ({ id: '7', watchlist: [9] }) })
  expect<AuthorizeOptions>().type.not.toBeAssignableFrom({ path: 42, channel: () => true })
  expect<AuthorizeOptions>().type.toBeAssignableFrom({ channel: () => false, user: () => false as const })
})

test('the options can be typed for a narrower request', () => {
  interface MyRequest { session: { userId: string } }
  const options: AuthorizeOptions<MyRequest> = {
    appId: (request) => request.session.userId,
    channel: (request) => ({ user_id: request.session.userId })
  }
  expect(options.channel).type.toBe<AuthorizeOptions<MyRequest>['channel']>()
})

test('the helpers answer what the clients read', () => {
  const app = Fastify()
  expect(app.broadcastt.authorizeChannel('a', '1.2', 'presence-x', { user_id: '7' })).type.toBe<ChannelAuthResponse>()
  expect(app.broadcastt.authorizeChannel('a', '1.2', 'private-x').auth).type.toBe<string>()
  expect(app.broadcastt.authorizeChannel('a', '1.2', 'private-x').shared_secret).type.toBe<string | undefined>()
  expect(app.broadcastt.authenticateUser('a', '1.2', { id: '7' })).type.toBe<UserAuthResponse>()
  expect(app.broadcastt.authenticateUser).type.not.toBeCallableWith('a', '1.2', { user_id: '7' })
  expect(app.broadcastt.authorizeChannel).type.not.toBeCallableWith('a', '1.2', 'presence-x', { id: '7' })
})
