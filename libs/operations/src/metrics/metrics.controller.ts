import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { GatewayMetrics } from './gateway-metrics.service';

/** Prometheus scrape endpoint. Serve it on the cluster network only; the ingress does not route it. */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Get('metrics')
  async scrape(@Res() response: Response): Promise<void> {
    const body = await this.metrics.scrape();
    response.status(200).type(this.metrics.contentType).send(body);
  }
}
