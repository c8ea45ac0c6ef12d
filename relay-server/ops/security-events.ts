/** Things an administrator wants to hear about at once ("It wasn't me"). */
export interface SecurityEvent {
  type: 'signin.reported' | 'user.unblocked';
  upn: string;
  requestId?: string;
  ip?: string;
  app?: string | null;
  at: number;
}

export type SecurityEventSink = (event: SecurityEvent) => void;
